#!/usr/bin/env python3
"""Regenerates vectors.json: reference outputs of foundry's `cast` (1.7.1) for fixed inputs.

Run from the repository root after `./aml setup`:
    python3 Tests/Aml.Orleans.Ethereum.Tests/Vectors/make_vectors.py
Each vector records the exact command (with `cast` for the pinned binary) and its output; the C# tests recompute
every output and compare. Keys are the well-known anvil dev keys only.
"""
import json
import os
import subprocess
import sys

ROOT = os.getcwd()
CAST = os.path.join(ROOT, "tools/node_modules/@foundry-rs/cast-linux-amd64/bin/cast")
HERE = "Tests/Aml.Orleans.Ethereum.Tests/Vectors"
KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
]
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
vectors = []


def cast(kind, args, **inputs):
    out = subprocess.run([CAST, *args], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    vectors.append({"kind": kind, "command": "cast " + " ".join(quote(a) for a in args), "args": args, **inputs, "output": out})
    return out


def quote(arg):
    return "'" + arg.replace("'", "'\\''") + "'" if any(c in arg for c in " ()[],\"'$é") or arg == "" else arg


def keccak_text(text):
    return subprocess.run([CAST, "keccak", text], capture_output=True, text=True, check=True).stdout.strip()


# --- keccak ------------------------------------------------------------------------------------------------------
for text in ["", "ETH-USD", "hello world", "MarginManager"]:
    cast("keccak-text", ["keccak", text], input=text)
for size in [1, 32, 64, 135, 136, 137, 1024]:
    data = "0x" + "".join(f"{(i * 37 + 11) % 256:02x}" for i in range(size))
    cast("keccak-hex", ["keccak", data], input=data)

# --- RLP ---------------------------------------------------------------------------------------------------------
long_string = "0x" + "ab" * 56
long_list = json.dumps(["0x" + f"{i:02x}" * 3 for i in range(1, 20)])
for rlp in [
    '"0x"', '"0x00"', '"0x7f"', '"0x80"', '"0xff"', '"0x0400"', f'"{long_string}"', '"0x' + "cd" * 1024 + '"',
    "[]", '["0x01","0x",["0x7f","0x80"]]', "[[],[[]],[[],[[]]]]", long_list,
]:
    cast("rlp", ["to-rlp", rlp], input=rlp)

# --- ABI ---------------------------------------------------------------------------------------------------------
b32 = keccak_text("pos-1")
for signature, values in [
    ("f(uint256)", ["115792089237316195423570985008687907853269984665640564039457584007913129639935"]),
    ("f(int256,int8,int64)", ["-1", "-128", "-9223372036854775808"]),
    ("f(uint8,uint16,uint32,uint64,uint128)", ["255", "65535", "4294967295", "18446744073709551615", "340282366920938463463374607431768211455"]),
    ("f(address,bool,bool,bytes32,bytes4)", [TO, "true", "false", b32, "0xdeadbeef"]),
    ("f(bytes,string)", ["0x" + "01" * 33, "héllo, world"]),
    ("f(string,bytes)", ["", "0x"]),
    ("f(uint64[],address[])", ["[1,2,18446744073709551615]", f"[{TO},0x0000000000000000000000000000000000000001]"]),
    ("f((uint8,bytes32)[],(uint256,bytes))", [f"[(1,{b32}),(2,{b32})]", "(5,0x" + "aa" * 128 + ")"]),
    ("f(string[],bytes[],(string,uint8[])[])", ['["a","bc"]', "[0x01,0x]", '[("x",[1,2]),("yz",[])]']),
    ("f(uint32[3],(bool,address)[2])", ["[1,2,3]", f"[(true,{TO}),(false,{TO})]"]),
]:
    cast("abi-encode", ["abi-encode", signature, *values], signature=signature, values=values)

# --- signatures --------------------------------------------------------------------------------------------------
for i, key in enumerate(KEYS):
    for text in ["0x" + "ab" * 32, keccak_text(f"message {i}"), "0x" + "00" * 31 + "01"]:
        cast("sign-hash", ["wallet", "sign", "--private-key", key, "--no-hash", text], key=key, hash=text)
for text in ["hello", "Aml.Orleans oracle"]:
    cast("sign-personal", ["wallet", "sign", "--private-key", KEYS[0], text], key=KEYS[0], message=text)

# --- EIP-712 -----------------------------------------------------------------------------------------------------
domain_type = [
    {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
]
decision_type = [
    {"name": n, "type": t} for t, n in (m.split(" ") for m in (
        "uint8 kind,bytes32 positionId,bytes32 marketId,address trader,bool isLong,uint128 collateral,uint128 size,"
        "uint32 maxLeverageX100,uint32 maintenanceMarginBps,uint32 closeFactorBps,uint16 riskScoreBps,uint128 markPriceE18,"
        "uint64 priceTimestamp,uint64 positionVersion,uint64 validUntil,bytes32 modelHash,bytes32 featuresHash").split(","))
]
domain = {"name": "MarginManager", "version": "1", "chainId": 6343, "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}
decisions = [
    {"kind": 3, "positionId": keccak_text("pos-1"), "marketId": keccak_text("ETH-USD"), "trader": TO, "isLong": True,
     "collateral": "1000000000", "size": "10000000000", "maxLeverageX100": 1000, "maintenanceMarginBps": 500,
     "closeFactorBps": 10000, "riskScoreBps": 8123, "markPriceE18": "3000123456789000000000", "priceTimestamp": 1763900000,
     "positionVersion": 4, "validUntil": 1763900600, "modelHash": keccak_text("model-v1"), "featuresHash": keccak_text("features-1")},
    {"kind": 2, "positionId": keccak_text("pos-2"), "marketId": keccak_text("BTC-USD"), "trader": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
     "isLong": False, "collateral": "340282366920938463463374607431768211455", "size": "1", "maxLeverageX100": 4294967295,
     "maintenanceMarginBps": 250, "closeFactorBps": 0, "riskScoreBps": 65535, "markPriceE18": "97000000000000000000000",
     "priceTimestamp": 18446744073709551615, "positionVersion": 0, "validUntil": 1, "modelHash": keccak_text("model-v2"),
     "featuresHash": "0x" + "00" * 32},
]
typed_files = {
    "risk-decision.json": {"types": {"EIP712Domain": domain_type, "RiskDecision": decision_type},
                           "primaryType": "RiskDecision", "domain": domain, "message": decisions[0]},
    "decision-list.json": {"types": {"EIP712Domain": domain_type, "RiskDecision": decision_type,
                                     "DecisionList": [{"name": "batchNonce", "type": "uint64"}, {"name": "validUntil", "type": "uint64"},
                                                      {"name": "decisions", "type": "RiskDecision[]"}]},
                           "primaryType": "DecisionList", "domain": domain,
                           "message": {"batchNonce": 42, "validUntil": 1763900600, "decisions": decisions}},
    # The EIP-712 specification's example, extended with arrays of structs and of atomic values.
    "mail.json": {"types": {"EIP712Domain": domain_type,
                            "Person": [{"name": "name", "type": "string"}, {"name": "wallets", "type": "address[]"}],
                            "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[]"},
                                     {"name": "contents", "type": "string"}, {"name": "attachment", "type": "bytes"}]},
                  "primaryType": "Mail",
                  "domain": {"name": "Ether Mail", "version": "1", "chainId": 1, "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
                  "message": {"from": {"name": "Cow", "wallets": ["0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", "0xDeaDbeefdEAdbeefdEadbEEFdeadbeEFdEaDbeeF"]},
                              "to": [{"name": "Bob", "wallets": ["0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"]}, {"name": "Amy", "wallets": []}],
                              "contents": "Hello, Bob!", "attachment": "0x0102"}},
}
for name, content in typed_files.items():
    path = f"{HERE}/typed/{name}"
    with open(os.path.join(ROOT, path), "w") as f:
        json.dump(content, f, indent=2)
        f.write("\n")
    for key in KEYS[:2]:
        cast("sign-typed", ["wallet", "sign", "--private-key", key, "--data", "--from-file", path], key=key, file=f"typed/{name}")

# --- MarginManager calldata --------------------------------------------------------------------------------------
d_tuple = "(uint8,bytes32,bytes32,address,bool,uint128,uint128,uint32,uint32,uint32,uint16,uint128,uint64,uint64,uint64,bytes32,bytes32)"
fields = [f["name"] for f in decision_type]
def literal(d):
    return "(" + ",".join(str(d[f]).lower() if isinstance(d[f], bool) else str(d[f]) for f in fields) + ")"
quorum = "(5,0x" + "11" * 64 + "22" * 64 + ")"
cast("calldata", ["calldata", f"applyDecisions(uint64,uint64,{d_tuple}[],(uint256,bytes))", "42", "1763900600",
                  "[" + ",".join(literal(d) for d in decisions) + "]", quorum],
     signature=f"applyDecisions(uint64,uint64,{d_tuple}[],(uint256,bytes))",
     values=["42", "1763900600", "[" + ",".join(literal(d) for d in decisions) + "]", quorum])
cast("calldata", ["calldata", f"applyDecision({d_tuple},(uint256,bytes))", literal(decisions[0]), quorum],
     signature=f"applyDecision({d_tuple},(uint256,bytes))", values=[literal(decisions[0]), quorum])

# --- transactions ------------------------------------------------------------------------------------------------
for nonce, value in [(0, "1"), (7, "12345"), (300, "1000000000000000000")]:
    args = ["mktx", "--private-key", KEYS[0], "--chain", "6343", "--nonce", str(nonce), "--gas-limit", "21000",
            "--gas-price", "1000000000", "--legacy", TO, "--value", value]
    cast("mktx-legacy", args, key=KEYS[0], chainId=6343, nonce=nonce, gasPrice="1000000000", gasLimit=21000, to=TO, value=value, data="0x")
for nonce, tip, fee, gas, value in [(0, "0", "2000000000", 21000, "1"), (7, "1000000", "3000000000", 90000, "5"), (65536, "1", "1", 60000, "0")]:
    args = ["mktx", "--private-key", KEYS[1], "--chain", "6343", "--nonce", str(nonce), "--gas-limit", str(gas),
            "--gas-price", fee, "--priority-gas-price", tip, TO, "--value", value]
    cast("mktx-1559", args, key=KEYS[1], chainId=6343, nonce=nonce, maxPriorityFeePerGas=tip, maxFeePerGas=fee,
         gasLimit=gas, to=TO, value=value, data="0x")
args = ["mktx", "--private-key", KEYS[0], "--chain", "6343", "--nonce", "3", "--gas-limit", "90000", "--gas-price", "3000000000",
        "--priority-gas-price", "1000000", TO, "transfer(address,uint256)", TO, "5"]
cast("mktx-1559", args, key=KEYS[0], chainId=6343, nonce=3, maxPriorityFeePerGas="1000000", maxFeePerGas="3000000000",
     gasLimit=90000, to=TO, value="0",
     data="0xa9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c80000000000000000000000000000000000000000000000000000000000000005")

with open(os.path.join(ROOT, HERE, "vectors.json"), "w") as f:
    json.dump({"generator": f"python3 {HERE}/make_vectors.py", "cast": subprocess.run([CAST, "--version"], capture_output=True, text=True).stdout.splitlines()[0],
               "vectors": vectors}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"{len(vectors)} vectors", file=sys.stderr)
