using System.Buffers.Binary;
using System.Numerics;
using Aml.Orleans.Ethereum.Abi;

namespace Aml.Orleans.Ethereum;

/// <summary>What a <see cref="RiskDecision"/> does (CONTRACT.md).</summary>
public enum DecisionKind : byte
{
    /// <summary>Open a position.</summary>
    Open = 1,

    /// <summary>Set a new max leverage / maintenance margin / risk score.</summary>
    Adjust = 2,

    /// <summary>Liquidate <c>closeFactorBps</c> of the size.</summary>
    Liquidate = 3,

    /// <summary>The trader's own close at a signed price.</summary>
    Close = 4,
}

/// <summary>The EIP-712 domain of a verifying contract.</summary>
public sealed record Eip712Domain(string Name, string Version, ulong ChainId, Address VerifyingContract)
{
    /// <summary>The MarginManager domain: name <c>MarginManager</c>, version <c>1</c>.</summary>
    public static Eip712Domain MarginManager(ulong chainId, Address verifyingContract) =>
        new("MarginManager", "1", chainId, verifyingContract);

    /// <summary>The domain struct's type string.</summary>
    public const string TypeString = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

    /// <summary><c>hashStruct(domain)</c>.</summary>
    public byte[] Separator()
    {
        var buffer = new byte[32 * 5];
        Keccak.Hash(TypeString).CopyTo(buffer, 0);
        Keccak.Hash(Name).CopyTo(buffer, 32);
        Keccak.Hash(Version).CopyTo(buffer, 64);
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(96 + 24), ChainId);
        VerifyingContract.Bytes.CopyTo(buffer.AsSpan(128 + 12));
        return Keccak.Hash(buffer);
    }

    /// <summary>The domain as generic typed-data values.</summary>
    public IReadOnlyDictionary<string, object?> ToTypedValues() => new Dictionary<string, object?>
    {
        ["name"] = Name,
        ["version"] = Version,
        ["chainId"] = ChainId,
        ["verifyingContract"] = VerifyingContract,
    };
}

/// <summary>
/// One AI risk decision as the MarginManager contract verifies it. Field order, names and types are the
/// contract's (CONTRACT.md); money is integers in the collateral's smallest unit, prices 1e18 fixed point.
/// </summary>
public sealed record RiskDecision(
    DecisionKind Kind,
    Bytes32 PositionId,
    Bytes32 MarketId,
    Address Trader,
    bool IsLong,
    UInt128 Collateral,
    UInt128 Size,
    uint MaxLeverageX100,
    uint MaintenanceMarginBps,
    uint CloseFactorBps,
    ushort RiskScoreBps,
    UInt128 MarkPriceE18,
    ulong PriceTimestamp,
    ulong PositionVersion,
    ulong ValidUntil,
    Bytes32 ModelHash,
    Bytes32 FeaturesHash)
{
    /// <summary>The EIP-712 type string, byte for byte the contract's.</summary>
    public const string TypeString =
        "RiskDecision(uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,"
        + "uint128 size,uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,"
        + "uint128 markPriceE18,uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,"
        + "bytes32 featuresHash)";

    /// <summary>The ABI tuple type of the struct, as it appears in function signatures.</summary>
    public const string AbiTuple =
        "(uint8,bytes32,bytes32,address,bool,uint128,uint128,uint32,uint32,uint32,uint16,uint128,uint64,uint64,uint64,bytes32,bytes32)";

    /// <summary>The struct's fields as EIP-712 members.</summary>
    public static IReadOnlyList<Eip712Field> Eip712Fields { get; } = ParseFields(TypeString);

    /// <summary>The ABI type of the struct.</summary>
    public static AbiTupleType AbiType { get; } = (AbiTupleType)Abi.AbiType.Parse(AbiTuple);

    private static readonly byte[] TypeHashBytes = Keccak.Hash(TypeString);

    /// <summary><c>keccak256(TypeString)</c>.</summary>
    public static ReadOnlySpan<byte> TypeHash => TypeHashBytes;

    /// <summary><c>hashStruct(decision)</c>, written straight into one buffer (the hot path of the oracle).</summary>
    public byte[] StructHash()
    {
        Span<byte> buffer = stackalloc byte[32 * 18];
        buffer.Clear();
        TypeHashBytes.CopyTo(buffer);
        buffer[32 + 31] = (byte)Kind;
        PositionId.Bytes.CopyTo(buffer[64..]);
        MarketId.Bytes.CopyTo(buffer[96..]);
        Trader.Bytes.CopyTo(buffer[(128 + 12)..]);
        buffer[160 + 31] = IsLong ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt128BigEndian(buffer[(192 + 16)..], Collateral);
        BinaryPrimitives.WriteUInt128BigEndian(buffer[(224 + 16)..], Size);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(256 + 28)..], MaxLeverageX100);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(288 + 28)..], MaintenanceMarginBps);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[(320 + 28)..], CloseFactorBps);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(352 + 30)..], RiskScoreBps);
        BinaryPrimitives.WriteUInt128BigEndian(buffer[(384 + 16)..], MarkPriceE18);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(416 + 24)..], PriceTimestamp);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(448 + 24)..], PositionVersion);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(480 + 24)..], ValidUntil);
        ModelHash.Bytes.CopyTo(buffer[512..]);
        FeaturesHash.Bytes.CopyTo(buffer[544..]);
        return Keccak.Hash(buffer);
    }

    /// <summary>The EIP-712 digest the oracle signs and the contract's <c>decisionDigest</c> returns.</summary>
    public byte[] Digest(Eip712Domain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return Eip712.Digest(domain.Separator(), StructHash());
    }

    /// <summary>The digest with a domain separator computed once by the caller (batch signing).</summary>
    public byte[] Digest(ReadOnlySpan<byte> domainSeparator) => Eip712.Digest(domainSeparator, StructHash());

    /// <summary>The decision as a generic typed-data struct value (for cross-checks and JSON signing requests).</summary>
    public IReadOnlyDictionary<string, object?> ToTypedValues() => new Dictionary<string, object?>
    {
        ["kind"] = (byte)Kind,
        ["positionId"] = PositionId,
        ["marketId"] = MarketId,
        ["trader"] = Trader,
        ["isLong"] = IsLong,
        ["collateral"] = Collateral,
        ["size"] = Size,
        ["maxLeverageX100"] = MaxLeverageX100,
        ["maintenanceMarginBps"] = MaintenanceMarginBps,
        ["closeFactorBps"] = CloseFactorBps,
        ["riskScoreBps"] = RiskScoreBps,
        ["markPriceE18"] = MarkPriceE18,
        ["priceTimestamp"] = PriceTimestamp,
        ["positionVersion"] = PositionVersion,
        ["validUntil"] = ValidUntil,
        ["modelHash"] = ModelHash,
        ["featuresHash"] = FeaturesHash,
    };

    /// <summary>The decision as an ABI tuple value (field order of the struct).</summary>
    public object[] ToAbiValue() =>
    [
        (byte)Kind, PositionId, MarketId, Trader, IsLong, Collateral, Size, MaxLeverageX100, MaintenanceMarginBps,
        CloseFactorBps, RiskScoreBps, MarkPriceE18, PriceTimestamp, PositionVersion, ValidUntil, ModelHash, FeaturesHash,
    ];

    /// <summary>Rebuilds a decision from a decoded ABI tuple.</summary>
    public static RiskDecision FromAbiValue(object value)
    {
        var f = value as object[] ?? throw new ArgumentException("a RiskDecision ABI value is an object[] tuple", nameof(value));
        if (f.Length != 17)
        {
            throw new ArgumentException($"a RiskDecision tuple has 17 fields, got {f.Length}", nameof(value));
        }

        var kind = (byte)(BigInteger)f[0];
        if (!Enum.IsDefined((DecisionKind)kind))
        {
            throw new FormatException($"RiskDecision.kind {kind} is not a known DecisionKind");
        }

        return new RiskDecision(
            (DecisionKind)kind, new Bytes32((byte[])f[1]), new Bytes32((byte[])f[2]), (Address)f[3], (bool)f[4],
            (UInt128)(BigInteger)f[5], (UInt128)(BigInteger)f[6], (uint)(BigInteger)f[7], (uint)(BigInteger)f[8],
            (uint)(BigInteger)f[9], (ushort)(BigInteger)f[10], (UInt128)(BigInteger)f[11], (ulong)(BigInteger)f[12],
            (ulong)(BigInteger)f[13], (ulong)(BigInteger)f[14], new Bytes32((byte[])f[15]), new Bytes32((byte[])f[16]));
    }

    internal static IReadOnlyList<Eip712Field> ParseFields(string typeString)
    {
        var open = typeString.IndexOf('(');
        return typeString[(open + 1)..typeString.IndexOf(')')]
            .Split(',')
            .Select(member => member.Split(' '))
            .Select(parts => new Eip712Field(parts[1], parts[0]))
            .ToArray();
    }
}

/// <summary>A batch of decisions signed once (<c>applyDecisions</c>).</summary>
public sealed record DecisionList(ulong BatchNonce, ulong ValidUntil, IReadOnlyList<RiskDecision> Decisions)
{
    /// <summary>The EIP-712 type string: the list's own definition followed by the referenced RiskDecision.</summary>
    public const string TypeString =
        "DecisionList(uint64 batchNonce,uint64 validUntil,RiskDecision[] decisions)" + RiskDecision.TypeString;

    private static readonly byte[] TypeHashBytes = Keccak.Hash(TypeString);

    /// <summary>The two struct types, for the generic typed-data path.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<Eip712Field>> Types { get; } =
        new Dictionary<string, IReadOnlyList<Eip712Field>>
        {
            ["DecisionList"] = RiskDecision.ParseFields(TypeString),
            ["RiskDecision"] = RiskDecision.Eip712Fields,
        };

    /// <summary><c>hashStruct(list)</c>: the decisions array hashes as keccak of the concatenated struct hashes.</summary>
    public byte[] StructHash()
    {
        ArgumentNullException.ThrowIfNull(Decisions);
        var hashes = new byte[32 * Decisions.Count];
        for (var i = 0; i < Decisions.Count; i++)
        {
            Decisions[i].StructHash().CopyTo(hashes, 32 * i);
        }

        Span<byte> buffer = stackalloc byte[32 * 4];
        buffer.Clear();
        TypeHashBytes.CopyTo(buffer);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(32 + 24)..], BatchNonce);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(64 + 24)..], ValidUntil);
        Keccak.Hash(hashes).CopyTo(buffer[96..]);
        return Keccak.Hash(buffer);
    }

    /// <summary>The EIP-712 digest the oracle signs for a batch and the contract's <c>batchDigest</c> returns.</summary>
    public byte[] Digest(Eip712Domain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return Eip712.Digest(domain.Separator(), StructHash());
    }

    /// <summary>The list as a generic typed-data struct value.</summary>
    public IReadOnlyDictionary<string, object?> ToTypedValues() => new Dictionary<string, object?>
    {
        ["batchNonce"] = BatchNonce,
        ["validUntil"] = ValidUntil,
        ["decisions"] = Decisions.Select(d => (object?)d.ToTypedValues()).ToArray(),
    };
}
