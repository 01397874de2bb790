namespace Aml.Orleans.Grains.Chain;

/// <summary>
/// The oracle's keys and pacing. Keys are never in configuration files: the host fills them from secret files or the
/// environment (dev: the well-known anvil keys that <c>./aml run</c> derives from the public mnemonic).
/// </summary>
public sealed class OracleOptions
{
    /// <summary>Private keys (hex) of the signers this node holds; each must be in the contract's signer set.</summary>
    public IList<string> SignerKeys { get; } = [];

    /// <summary>Private key (hex) of the account that pays gas to relay decisions.</summary>
    public string RelayerKey { get; set; } = "";

    /// <summary>
    /// How often the oracle's flush turn comes back while it has work: to settle the receipt of the transaction in
    /// flight, look for reorgs and retry what the chain or the database refused. Decisions never wait for it: a
    /// submission starts a flush turn at once, and those arriving meanwhile join the next group.
    /// </summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Most decisions in one <c>applyDecisions</c> (gas per batch stays far below a block).</summary>
    public int MaxBatchSize { get; set; } = 50;

    /// <summary>
    /// Most signed transactions in flight at once (MegaETH keeps up to 500 pending per account): a cascade's batches are
    /// all signed and made durable in one turn, then handed to the node one after another in nonce order, each as soon
    /// as the node accepted the one before it.
    /// </summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>
    /// How long a transaction the node accepted may go without a receipt before it is sent again with the same bytes
    /// (the node's pool lost it, or the node restarted): the same bytes cannot be applied twice.
    /// </summary>
    public TimeSpan ResendAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Seconds a batch's own <c>validUntil</c> lies ahead of the chain.</summary>
    public TimeSpan BatchTtl { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long settled decisions stay in grain state for idempotency; the audit table keeps them for good.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Blocks on top of a decision's block before a reorg is no longer watched for.</summary>
    public ulong ConfirmationDepth { get; set; } = 3;

    /// <summary>How often mined transactions are looked up again for a reorg.</summary>
    public TimeSpan ReorgCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A mined transaction this old is final even without <see cref="ConfirmationDepth"/> blocks on top.</summary>
    public TimeSpan ReorgWatch { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the chain indexer reads new contract logs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long the signers use the markets' limits and feed prices they read before reading them again.</summary>
    public TimeSpan GuardRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most blocks one <c>eth_getLogs</c> asks for.</summary>
    public ulong MaxLogRange { get; set; } = 5_000;
}
