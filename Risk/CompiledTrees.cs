using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Aml.Orleans.Risk;

/// <summary>
/// A FastTree ensemble read out of its ML.NET model into flat arrays, scored straight over a float vector: no
/// IDataView, no per-row allocation. It reproduces the trained pipeline exactly — missing values filled with 0 and
/// flagged (see <c>RiskModelSet.WithMissingValues</c>), each tree walked with ML.NET's <c>value ≤ threshold → left</c>
/// rule, leaf values summed in double in tree order and cast to float — so its score is bit-identical to a
/// prediction engine's (a test checks it on real models). Batched scoring runs through this.
/// </summary>
/// <remarks>
/// Every leaf is stored as a node whose two children are itself, so a tree is walked for exactly its depth with no
/// test for "reached a leaf", and a step picks a child by index instead of by branch (a split's direction is a coin
/// flip to the branch predictor). Rows are walked eight at a time (<see cref="Lanes"/>) through each tree: the eight
/// walks are independent, so the CPU overlaps their loads, where one row's walk waits on each node in turn. A group's
/// slots are stored feature-major (slot f of lane k at <c>f·8 + k</c>); a node keeps that slot, and its children, as
/// byte offsets, so a step is four loads and a compare with no index arithmetic, and the eight positions stay in
/// registers. Summation per row is unchanged (trees in order, leaf × weight added in double), so a batch gives the
/// bits of one row at a time. Profiled with perf (1,000 BTC inputs, an earlier four-lane walk): the tree walks were 85 % of a batch,
/// the features hash's Keccak 5 %, everything else under 2 % each.
/// </remarks>
internal sealed class CompiledTrees
{
    /// <summary>Rows walked together through one tree (the walk is written out for exactly this many).</summary>
    private const int Lanes = 8;

    /// <summary>Groups of <see cref="Lanes"/> rows kept while every tree is walked (8 KiB of slots at 32 per row: stays in L1 with a tree's nodes).</summary>
    private const int BlockGroups = 8;

    /// <summary>Bytes per node: children are stored as byte offsets into the node array, node index × this.</summary>
    private const int NodeBytes = 16;

    private readonly int _width;
    private readonly int[] _roots;
    private readonly int[] _depths;
    private readonly Node[] _nodes;
    private readonly double[] _values;

    private CompiledTrees(int width, TreeEnsemble<RegressionTree> ensemble)
    {
        _width = width;
        var trees = ensemble.Trees;
        _roots = new int[trees.Count];
        _depths = new int[trees.Count];
        var nodes = new List<Node>();
        var values = new List<double>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            if (tree.CategoricalSplitFlags.Any(c => c))
            {
                throw new NotSupportedException("categorical splits are not used by these models");
            }

            // Splits first (ML.NET's index i → first + i), then the leaves (ML.NET's ~j → first + splits + j).
            var first = nodes.Count;
            var splits = tree.NumericalSplitFeatureIndexes.Count;
            int Global(int child) => (child >= 0 ? first + child : first + splits + ~child) * NodeBytes;
            for (var i = 0; i < splits; i++)
            {
                var slot = tree.NumericalSplitFeatureIndexes[i];
                if (slot < 0 || slot >= 2 * width)
                {
                    throw new InvalidOperationException($"a split reads slot {slot}, beyond the {2 * width} of {width} features");
                }

                nodes.Add(new Node(slot * Lanes * sizeof(float), tree.NumericalSplitThresholds[i], Global(tree.LeftChild[i]), Global(tree.RightChild[i])));
                values.Add(0);
            }

            var weight = ensemble.TreeWeights[t];
            for (var j = 0; j < tree.LeafValues.Count; j++)
            {
                var self = (first + splits + j) * NodeBytes;
                nodes.Add(new Node(0, float.PositiveInfinity, self, self));
                values.Add(weight * tree.LeafValues[j]);
            }

            // Node first is the root split, or for a single-leaf tree its leaf, walked for depth 0.
            _roots[t] = first * NodeBytes;
            _depths[t] = Depth(tree, 0);
        }

        _nodes = [.. nodes];
        _values = [.. values];
        // The walk reads without bounds checks: every child must be a node.
        if (Unsafe.SizeOf<Node>() != NodeBytes || _nodes.Any(n => !IsNode(n.Left) || !IsNode(n.Right)))
        {
            throw new InvalidOperationException($"a split points beyond the ensemble's {_nodes.Length} nodes");
        }
    }

    /// <summary>Slots per row of <see cref="Score(ReadOnlySpan{float}, Span{float})"/>'s input: each feature, then each missing flag.</summary>
    public int SlotsPerRow => 2 * _width;

    /// <summary>Reads the ensemble at the end of a <c>WithMissingValues → FastTree</c> chain of <paramref name="width"/> features.</summary>
    public static CompiledTrees From(ITransformer model, int width)
    {
        if (model is not IEnumerable<ITransformer> chain || chain.LastOrDefault() is not { } last)
        {
            throw new InvalidOperationException("the model is not a transformer chain");
        }

        var ensemble = last switch
        {
            RegressionPredictionTransformer<FastTreeRegressionModelParameters> regression => regression.Model.TrainedTreeEnsemble,
            BinaryPredictionTransformer<CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator>> binary =>
                binary.Model.SubModel.TrainedTreeEnsemble,
            _ => throw new InvalidOperationException($"the model's last step ({last.GetType().Name}) is not a FastTree ensemble"),
        };
        return new CompiledTrees(width, ensemble);
    }

    /// <summary>
    /// Writes one row's slots as the trees read them: slot i &lt; width is feature i with NaN replaced by 0, slot
    /// width + i its missing flag (1 when NaN), as <c>RiskModelSet.WithMissingValues</c> fills them.
    /// </summary>
    public static void FillSlots(ReadOnlySpan<float> features, Span<float> slots)
    {
        var width = features.Length;
        if (slots.Length != 2 * width)
        {
            throw new ArgumentException($"{width} features fill {2 * width} slots, got {slots.Length}", nameof(slots));
        }

        for (var i = 0; i < width; i++)
        {
            var missing = float.IsNaN(features[i]);
            slots[i] = missing ? 0f : features[i];
            slots[width + i] = missing ? 1f : 0f;
        }
    }

    /// <summary>The raw ensemble score (the <c>Score</c> column) of one feature vector.</summary>
    public float Score(ReadOnlySpan<float> features)
    {
        if (features.Length != _width)
        {
            throw new ArgumentException($"expected {_width} features, got {features.Length}", nameof(features));
        }

        // One row as lane 0 of a group (the other lanes' slots are never read), walked alone: no lockstep to wait for.
        Span<float> row = stackalloc float[SlotsPerRow];
        FillSlots(features, row);
        Span<float> group = stackalloc float[SlotsPerRow * Lanes];
        for (var f = 0; f < row.Length; f++)
        {
            group[f * Lanes] = row[f];
        }

        double sum = 0;
        for (var t = 0; t < _roots.Length; t++)
        {
            sum += _values[WalkLane(group, _roots[t], _depths[t], 0) / NodeBytes];
        }

        return (float)sum;
    }

    /// <summary>
    /// The raw scores of <c>scores.Length</c> rows whose slots (<see cref="FillSlots"/>, <see cref="SlotsPerRow"/> per
    /// row) lie one after another in <paramref name="slots"/>; bit-identical to scoring each row alone.
    /// </summary>
    public void Score(ReadOnlySpan<float> slots, Span<float> scores)
    {
        var stride = SlotsPerRow;
        if (slots.Length != scores.Length * stride)
        {
            throw new ArgumentException($"{scores.Length} rows need {scores.Length * stride} slots, got {slots.Length}", nameof(slots));
        }

        const int blockRows = BlockGroups * Lanes;
        var groupSlots = stride * Lanes;
        var blockSlots = Math.Min(BlockGroups, (scores.Length + Lanes - 1) / Lanes) * groupSlots;
        // 8 KiB at most for these models' 32 slots; a row of one needs one group.
        var block = blockSlots <= 4_096 ? stackalloc float[blockSlots] : new float[blockSlots];
        Span<double> sums = stackalloc double[blockRows];
        for (var start = 0; start < scores.Length; start += blockRows)
        {
            var rows = Math.Min(blockRows, scores.Length - start);
            var groups = (rows + Lanes - 1) / Lanes;
            Transpose(slots.Slice(start * stride, rows * stride), stride, block[..(groups * groupSlots)]);
            sums.Clear();
            // Whole groups walk in lockstep; the rows of a last, short group walk alone (a batch of one, as the
            // backtest sends per engine, would otherwise pay for seven empty lanes).
            var (whole, tail) = (rows / Lanes, rows % Lanes);
            for (var t = 0; t < _roots.Length; t++)
            {
                var (root, depth) = (_roots[t], _depths[t]);
                for (var g = 0; g < whole; g++)
                {
                    WalkGroup(block.Slice(g * groupSlots, groupSlots), root, depth, sums.Slice(g * Lanes, Lanes));
                }

                for (var lane = 0; lane < tail; lane++)
                {
                    sums[(whole * Lanes) + lane] += _values[WalkLane(block.Slice(whole * groupSlots, groupSlots), root, depth, lane) / NodeBytes];
                }
            }

            for (var r = 0; r < rows; r++)
            {
                scores[start + r] = (float)sums[r];
            }
        }
    }

    // Row-major slots → groups of Lanes rows, feature-major within a group; a last, short group's missing lanes are zeros.
    private static void Transpose(ReadOnlySpan<float> rows, int stride, Span<float> groups)
    {
        groups.Clear();
        var count = rows.Length / stride;
        for (var r = 0; r < count; r++)
        {
            var group = groups.Slice(r / Lanes * stride * Lanes);
            var lane = r % Lanes;
            var row = rows.Slice(r * stride, stride);
            for (var f = 0; f < stride; f++)
            {
                group[(f * Lanes) + lane] = row[f];
            }
        }
    }

    // Longest root-to-leaf path below ML.NET's node index (negative: a leaf).
    private static int Depth(RegressionTree tree, int node) =>
        node < 0 || tree.NumericalSplitFeatureIndexes.Count == 0 ? 0 : 1 + Math.Max(Depth(tree, tree.LeftChild[node]), Depth(tree, tree.RightChild[node]));

    // One lane of a group through one tree, alone: the byte offset of its leaf.
    private int WalkLane(ReadOnlySpan<float> group, int root, int depth, int lane)
    {
        ref var nodes = ref Unsafe.As<Node, byte>(ref MemoryMarshal.GetArrayDataReference(_nodes));
        ref var slots = ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(group));
        var at = root;
        for (var level = 0; level < depth; level++)
        {
            at = Step(ref nodes, at, ref slots, lane);
        }

        return at;
    }

    // One group's eight rows through one tree in lockstep; each sum gets its leaf's weighted value. Unchecked reads:
    // the constructor proved every slot (< 2·width) and child in range, and a group holds Lanes·stride slots.
    private void WalkGroup(ReadOnlySpan<float> group, int root, int depth, Span<double> sums)
    {
        ref var nodes = ref Unsafe.As<Node, byte>(ref MemoryMarshal.GetArrayDataReference(_nodes));
        ref var slots = ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(group));
        var (a, b, c, d, e, f, g, h) = (root, root, root, root, root, root, root, root);
        for (var level = 0; level < depth; level++)
        {
            var (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h);
            a = Step(ref nodes, a, ref slots, 0);
            b = Step(ref nodes, b, ref slots, 1);
            c = Step(ref nodes, c, ref slots, 2);
            d = Step(ref nodes, d, ref slots, 3);
            e = Step(ref nodes, e, ref slots, 4);
            f = Step(ref nodes, f, ref slots, 5);
            g = Step(ref nodes, g, ref slots, 6);
            h = Step(ref nodes, h, ref slots, 7);
            // FastTree grows leaf-wise: the mean path is about 3.4 splits where the deepest is about 8, so stop once a
            // step moved no lane (all eight at their leaves) instead of walking every group to the tree's depth.
            if (((a ^ a0) | (b ^ b0) | (c ^ c0) | (d ^ d0) | (e ^ e0) | (f ^ f0) | (g ^ g0) | (h ^ h0)) == 0)
            {
                break;
            }
        }

        var values = _values;
        sums[0] += values[a / NodeBytes];
        sums[1] += values[b / NodeBytes];
        sums[2] += values[c / NodeBytes];
        sums[3] += values[d / NodeBytes];
        sums[4] += values[e / NodeBytes];
        sums[5] += values[f / NodeBytes];
        sums[6] += values[g / NodeBytes];
        sums[7] += values[h / NodeBytes];
    }

    // One level of one lane: the node at byte offset at reads its slot in this lane and answers its child's offset.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref byte nodes, int at, ref byte slots, int lane)
    {
        ref readonly var split = ref Unsafe.As<byte, Node>(ref Unsafe.AddByteOffset(ref nodes, (nuint)(uint)at));
        var value = Unsafe.As<byte, float>(ref Unsafe.AddByteOffset(ref slots, (nuint)(uint)split.Slot + (nuint)(lane * sizeof(float))));
        return split.Child(value > split.Threshold);
    }

    private bool IsNode(int offset) => offset >= 0 && offset % NodeBytes == 0 && offset / NodeBytes < _nodes.Length;

    /// <summary>
    /// A split (the byte offset of its slot in lane 0 of a group, threshold, children as byte offsets into the node
    /// array) or a leaf (children itself, threshold +∞ so no slot exceeds it; its tree weight × leaf value is in
    /// <c>_values</c> at offset / <see cref="NodeBytes"/>).
    /// </summary>
    private readonly struct Node(int slot, float threshold, int left, int right)
    {
        public readonly int Slot = slot;
        public readonly float Threshold = threshold;

        // Left and Right must stay adjacent, in this order (a struct's layout is sequential): Child indexes the pair.
        public readonly int Left = left;
        public readonly int Right = right;

        // Right when the slot exceeds the threshold (ML.NET: value ≤ threshold → left). Indexing the pair instead of
        // branching keeps an unpredictable split from costing a mispredicted jump.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Child(bool right) => Unsafe.Add(ref Unsafe.AsRef(in Left), (int)Unsafe.BitCast<bool, byte>(right));
    }
}
