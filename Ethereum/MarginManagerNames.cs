namespace Aml.Orleans.Ethereum;

/// <summary>
/// The names of the MarginManager's functions, events and custom errors the engine refers to (to look a member up in
/// the compiled ABI, or to dispatch on a decoded log), written once. A test checks every one against forge's compiled
/// ABI, so a renamed member fails the tests instead of a lookup at run time.
/// </summary>
public static class MarginManagerNames
{
    /// <summary>Functions looked up by name in the contract's JSON ABI.</summary>
    public static class Functions
    {
        public const string AddCollateral = "addCollateral";
        public const string OpenPosition = "openPosition";
        public const string ApplyDecision = "applyDecision";
        public const string OpenPositionFor = "openPositionFor";
        public const string ApplyDecisions = "applyDecisions";
        public const string ClosePosition = "closePosition";
        public const string PendingMargin = "pendingMargin";
        public const string GetPosition = "getPosition";
        public const string BorrowIndex = "borrowIndex";
        public const string IsModelAllowed = "isModelAllowed";
        public const string Halted = "halted";
        public const string GetMarket = "getMarket";
    }

    /// <summary>Events about one position, as <c>ChainPositionEvent.EventName</c> carries them.</summary>
    public static class Events
    {
        public const string PositionOpened = "PositionOpened";
        public const string CollateralAdded = "CollateralAdded";
        public const string RiskUpdated = "RiskUpdated";
        public const string PositionClosed = "PositionClosed";
        public const string PositionLiquidated = "PositionLiquidated";
        public const string DecisionSkipped = "DecisionSkipped";
        public const string PositionFrozen = "PositionFrozen";
        public const string BorrowFeeCharged = "BorrowFeeCharged";
        public const string PayoutEscrowed = "PayoutEscrowed";
        public const string EmergencyClosed = "EmergencyClosed";
    }

    /// <summary>The contract's custom errors the engine explains to the trader.</summary>
    public static class Errors
    {
        public const string SystemHalted = "SystemHalted";
        public const string MarketModeForbids = "MarketModeForbids";
        public const string InsufficientLiquidity = "InsufficientLiquidity";
        public const string DecisionExpired = "DecisionExpired";
        public const string PriceTooOld = "PriceTooOld";
        public const string ModelNotAllowed = "ModelNotAllowed";
        public const string InvalidTraderSignature = "InvalidTraderSignature";
        public const string LeverageAboveCap = "LeverageAboveCap";
        public const string OpenWouldBeLiquidatable = "OpenWouldBeLiquidatable";
        public const string PositionExists = "PositionExists";
    }

    /// <summary>The collateral token's ERC-20 errors (OpenZeppelin's), which bubble up through the contract.</summary>
    public static class CollateralTokenErrors
    {
        public const string InsufficientBalance = "ERC20InsufficientBalance";
        public const string InsufficientAllowance = "ERC20InsufficientAllowance";
    }
}
