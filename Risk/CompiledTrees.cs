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
    private readonly int[] _feature;
    private readonly float[] _threshold;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly double[] _leaf;
    private readonly int[] _leafBase;
    private readonly double[] _weight;

    private CompiledTrees(int width, TreeEnsemble<RegressionTree> ensemble)
    {
        _width = width;
        var trees = ensemble.Trees;
        _roots = new int[trees.Count];
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
            _leafBase[t] = leaf.Count;
            feature.AddRange(tree.NumericalSplitFeatureIndexes);
            threshold.AddRange(tree.NumericalSplitThresholds);
            left.AddRange(tree.LeftChild);
            right.AddRange(tree.RightChild);
            leaf.AddRange(tree.LeafValues);
        }

        (_feature, _threshold, _left, _right, _leaf) = ([.. feature], [.. threshold], [.. left], [.. right], [.. leaf]);
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

        // Slot i < width is the feature with NaN replaced by 0; slot width + i is its missing flag.
        double sum = 0;
        for (var t = 0; t < _roots.Length; t++)
        {
            var root = _roots[t];
            var node = 0;
            if (_left.Length == 0 || (t + 1 < _roots.Length ? _roots[t + 1] : _feature.Length) == root)
            {
                sum += _weight[t] * _leaf[_leafBase[t]]; // a single-leaf tree has no split to walk
                continue;
            }

            while (node >= 0)
            {
                var slot = _feature[root + node];
                float value;
                if (slot < _width)
                {
                    value = features[slot];
                    value = float.IsNaN(value) ? 0f : value;
                }
                else
                {
                    value = float.IsNaN(features[slot - _width]) ? 1f : 0f;
                }

                node = value <= _threshold[root + node] ? _left[root + node] : _right[root + node];
            }

            sum += _weight[t] * _leaf[_leafBase[t] + ~node];
        }

        return (float)sum;
    }
}
