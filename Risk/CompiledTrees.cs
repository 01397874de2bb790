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
internal sealed class CompiledTrees
{
    private readonly int _width;
    private readonly int[] _roots;
    private readonly bool[] _singleLeaf;
    private readonly Node[] _nodes;
    private readonly double[] _leaf;
    private readonly int[] _leafBase;
    private readonly double[] _weight;

    private CompiledTrees(int width, TreeEnsemble<RegressionTree> ensemble)
    {
        _width = width;
        var trees = ensemble.Trees;
        _roots = new int[trees.Count];
        _singleLeaf = new bool[trees.Count];
        _leafBase = new int[trees.Count];
        _weight = [.. ensemble.TreeWeights];
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var leaf = new List<double>();
        for (var t = 0; t < trees.Count; t++)
        {
            var tree = trees[t];
            if (tree.CategoricalSplitFlags.Any(c => c))
            {
                throw new NotSupportedException("categorical splits are not used by these models");
            }

            _roots[t] = feature.Count;
            _singleLeaf[t] = tree.NumericalSplitFeatureIndexes.Count == 0;
            _leafBase[t] = leaf.Count;
            feature.AddRange(tree.NumericalSplitFeatureIndexes);
            threshold.AddRange(tree.NumericalSplitThresholds);
            left.AddRange(tree.LeftChild);
            right.AddRange(tree.RightChild);
            leaf.AddRange(tree.LeafValues);
        }

        _nodes = [.. feature.Select((f, i) => new Node(f, threshold[i], left[i], right[i]))];
        _leaf = [.. leaf];
    }

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

    /// <summary>The raw ensemble score (the <c>Score</c> column) of one feature vector.</summary>
    public float Score(ReadOnlySpan<float> features)
    {
        if (features.Length != _width)
        {
            throw new ArgumentException($"expected {_width} features, got {features.Length}", nameof(features));
        }

        // The trees read slot i < width as the feature with NaN replaced by 0, slot width + i as its missing flag:
        // filled once per row, so a node is one load and one compare.
        Span<float> slots = stackalloc float[2 * _width];
        for (var i = 0; i < _width; i++)
        {
            var missing = float.IsNaN(features[i]);
            slots[i] = missing ? 0f : features[i];
            slots[_width + i] = missing ? 1f : 0f;
        }

        double sum = 0;
        var nodes = _nodes.AsSpan();
        for (var t = 0; t < _roots.Length; t++)
        {
            if (_singleLeaf[t])
            {
                sum += _weight[t] * _leaf[_leafBase[t]]; // a single-leaf tree has no split to walk
                continue;
            }

            var tree = nodes[_roots[t]..];
            var node = 0;
            while (node >= 0)
            {
                ref readonly var split = ref tree[node];
                node = slots[split.Feature] <= split.Threshold ? split.Left : split.Right;
            }

            sum += _weight[t] * _leaf[_leafBase[t] + ~node];
        }

        return (float)sum;
    }

    private readonly record struct Node(int Feature, float Threshold, int Left, int Right);
}
