using Aml.Orleans.Grains.Domain;

namespace Aml.Orleans.Grains.Tests.Domain;

public sealed class MarginMathTests
{
    private const long Usdc = 1_000_000;
    private const long Price = 100_000_000; // 1 USD in E8

    [Fact]
    public void Size_TenXOnThousand_TenThousand() =>
        Assert.Equal(10_000 * Usdc, MarginMath.Size(1_000 * Usdc, 1_000));

    [Fact]
    public void Pnl_LongUpTenPercent_TenPercentOfSize() =>
        Assert.Equal(1_000 * Usdc, MarginMath.Pnl(isLong: true, 10_000 * Usdc, 2_000 * Price, 2_200 * Price));

    [Fact]
    public void Pnl_ShortUpTenPercent_LosesTenPercentOfSize() =>
        Assert.Equal(-1_000 * Usdc, MarginMath.Pnl(isLong: false, 10_000 * Usdc, 2_000 * Price, 2_200 * Price));

    [Fact]
    public void Pnl_NegativeFraction_TruncatesTowardZeroLikeSolidity() =>
        // 7 * (2 - 3) / 3 = -2.33… → -2 in Solidity's int256 division (toward zero), not -3.
        Assert.Equal(-2, MarginMath.Pnl(isLong: true, 7, 3, 2));

    [Fact]
    public void IsLiquidatable_EquityExactlyAtRequirement_False()
    {
        // 10x long, 5% maintenance: equity 500 at a 5% fall equals the requirement 500, which is not below it.
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        Assert.False(MarginMath.IsLiquidatable(terms, 95 * Price));
        Assert.True(MarginMath.IsLiquidatable(terms, (95 * Price) - 1_000));
    }

    [Fact]
    public void Equity_BeyondCollateral_Negative()
    {
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        Assert.Equal(-1_000 * Usdc, MarginMath.Equity(terms, 80 * Price));
    }

    [Fact]
    public void LiquidationPrice_RandomPositions_NoLiquidatablePriceBeyondTheBand()
    {
        var random = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            var collateral = random.NextInt64(1, 1_000_000 * Usdc);
            var leverageX100 = random.NextInt64(100, 10_000);
            var terms = new PositionTerms(
                IsLong: random.Next(2) == 0,
                Collateral: collateral,
                Size: Math.Max(1, MarginMath.Size(collateral, leverageX100)),
                EntryPriceE8: random.NextInt64(1_000, 200_000 * Price),
                MaintenanceMarginBps: random.NextInt64(10, 2_500),
                BorrowFee: random.Next(3) == 0 ? 0 : random.NextInt64(0, collateral));
            var band = MarginMath.LiquidationPrice(terms);

            // A long is safe at every price above its band, a short at every price below it: the band never
            // fires later than the contract's exact integer check would liquidate.
            if (terms.IsLong)
            {
                Assert.False(MarginMath.IsLiquidatable(terms, band + 1), $"long {terms} band {band}");
            }
            else if (band > 1)
            {
                Assert.False(MarginMath.IsLiquidatable(terms, band - 1), $"short {terms} band {band}");
            }
        }
    }

    [Fact]
    public void BorrowFee_OneDayAtTenBps_TenBpsOfNotional() =>
        Assert.Equal(10 * Usdc, MarginMath.BorrowFee(10_000 * Usdc, MarginMath.BorrowIndexGrowth(10, 86_400)));

    [Fact]
    public void BorrowFee_FractionOfAUnit_RoundsDownInOneDivision()
    {
        // 1e6 × 3 × s / 8.64e8: one second is 0.0035 → 0; 288 s is exactly 1; 287 s just below it.
        Assert.Equal(0, MarginMath.BorrowFee(Usdc, MarginMath.BorrowIndexGrowth(3, 1)));
        Assert.Equal(1, MarginMath.BorrowFee(Usdc, MarginMath.BorrowIndexGrowth(3, 288)));
        Assert.Equal(0, MarginMath.BorrowFee(Usdc, MarginMath.BorrowIndexGrowth(3, 287)));
    }

    [Fact]
    public void BorrowFee_NegativeSize_Refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MarginMath.BorrowFee(-1, 1));

    [Fact]
    public void Equity_WithAccruedFee_LowerByTheFee()
    {
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500, BorrowFee: 7 * Usdc);
        Assert.Equal(993 * Usdc, MarginMath.Equity(terms, 100 * Price));
    }

    [Fact]
    public void LiquidationPrice_AccruedFee_CloserToEntryByFeeOverSize()
    {
        // 10x long, 5 %: without a fee 95.00; a fee of 1 % of the collateral moves the band up by 0.1 % of entry.
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500, BorrowFee: 10 * Usdc);
        Assert.Equal(9_510_000_000, MarginMath.LiquidationPrice(terms));
        Assert.False(MarginMath.IsLiquidatable(terms, 9_510_000_000));
        Assert.True(MarginMath.IsLiquidatable(terms, 9_510_000_000 - 1));
    }

    [Fact]
    public void LiquidationPrice_TenXLongFivePercent_NearFivePercentBelowEntry()
    {
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        Assert.Equal(95 * Price, MarginMath.LiquidationPrice(terms));
    }

    [Fact]
    public void LiquidationPrice_TenXShortFivePercent_NearFivePercentAboveEntry()
    {
        var terms = new PositionTerms(false, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        Assert.Equal(105 * Price, MarginMath.LiquidationPrice(terms));
    }
}

public sealed class HealingCloseFactorTests
{
    private const long Usdc = 1_000_000;
    private const long Price = 100_000_000;

    [Fact]
    public void HealingCloseFactorBps_JustBelowMaintenance_PartialCloseThatRestoresHealth()
    {
        // 10x long, 5 % maintenance, price down 5.2 %: equity 480 < requirement 500.
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        var price = 9_480_000_000;
        Assert.True(MarginMath.IsLiquidatable(terms, price));

        var factor = MarginMath.HealingCloseFactorBps(terms, price, penaltyBps: 100, bufferBps: 100);
        Assert.InRange(factor, 1u, 9_999u);
        AssertHealthyAfter(terms, price, 100, 100, factor, expected: true);
        AssertHealthyAfter(terms, price, 100, 100, factor - 1, expected: false); // and it is the smallest
    }

    [Fact]
    public void HealingCloseFactorBps_EquityGone_CloseAll()
    {
        var terms = new PositionTerms(true, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 500);
        Assert.Equal(10_000u, MarginMath.HealingCloseFactorBps(terms, 89 * Price, 100, 100));
    }

    [Fact]
    public void HealingCloseFactorBps_PenaltyAboveMargin_CloseAll()
    {
        var terms = new PositionTerms(false, 1_000 * Usdc, 10_000 * Usdc, 100 * Price, 200);
        Assert.Equal(10_000u, MarginMath.HealingCloseFactorBps(terms, 10_850_000_000, penaltyBps: 400, bufferBps: 0));
    }

    private static void AssertHealthyAfter(PositionTerms terms, long price, long penaltyBps, long bufferBps, uint factor, bool expected)
    {
        var closed = terms.Size * factor / 10_000;
        var collateral = terms.Collateral + MarginMath.Pnl(terms.IsLong, closed, terms.EntryPriceE8, price) - (closed * penaltyBps / 10_000);
        var rest = terms with { Collateral = collateral, Size = terms.Size - closed };
        Assert.Equal(expected, MarginMath.Equity(rest, price) >= MarginMath.Requirement(rest.Size, terms.MaintenanceMarginBps + bufferBps));
    }
}
