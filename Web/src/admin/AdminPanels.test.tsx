// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { Admin, GovernanceOperationSchema, type QueueGovernanceRequest } from "../gen/aml/v1/admin_pb";
import { AdminPanels } from "./AdminPanels";

afterEach(cleanup);

const READY = "0x" + "11".repeat(32);
const WAITING = "0x" + "22".repeat(32);

/** An Admin service in memory, recording what the page asked for; the page talks to it through a real Connect client. */
function fakeGateway() {
  const calls = { halts: [] as string[], executed: [] as string[], cancelled: [] as string[], queued: [] as QueueGovernanceRequest[], promoted: [] as string[] };
  let operations = [
    create(GovernanceOperationSchema, { opId: READY, function: "setModel", eta: 1_700_000_000n, ready: true }),
    create(GovernanceOperationSchema, { opId: WAITING, function: "setSigners", eta: 1_900_000_000n, ready: false }),
  ];
  const receipt = { transactionHash: "0x" + "ab".repeat(32), blockNumber: 42n };
  const transport = createRouterTransport(({ service }) =>
    service(Admin, {
      halt: (r) => {
        if (r.reason === "refuse") throw new ConnectError("0xabc is signed in but this call needs the admin role", Code.PermissionDenied);
        calls.halts.push(r.reason);
        return receipt;
      },
      resume: () => receipt,
      setMarketMode: () => receipt,
      freezePosition: () => receipt,
      getModelStatus: (r) => ({ asset: r.asset, modelHash: "0xmodel-" + r.asset, directory: "/models/" + r.asset, loadedAt: "2026-12-03T09:00:00Z", assessments: 7n }),
      getLearningStatus: (r) => ({
        asset: r.asset, modelHash: "0xmodel-" + r.asset, target: 0.95, margin: 0.1, recovery: 0.05, window: 50,
        long: { matured: 50, coverage: 0.84, fallback: true }, short: { matured: 12, coverage: 1, fallback: false },
        trainerStage: "shadow", challengerHash: "0xchallenger", trainerVerdict: "",
      }),
      promoteModel: (r) => (calls.promoted.push(r.modelDirectory), { asset: r.asset, modelHash: "0xpromoted", directory: r.modelDirectory }),
      listGovernance: () => ({ operations, governanceDelay: 86_400n, chainTime: 1_800_000_000n }),
      queueGovernance: (r) => (calls.queued.push(r), { opId: "0x" + "33".repeat(32), function: "setGovernanceDelay", eta: 1_800_086_400n }),
      executeGovernance: (r) => {
        calls.executed.push(r.opId);
        operations = operations.filter((op) => op.opId !== r.opId);
        return receipt;
      },
      cancelGovernance: (r) => (calls.cancelled.push(r.opId), receipt),
      getOracleBacklog: () => ({ queued: 3, sent: 1, oldestAgeSeconds: 95.4, oldest: [{ decisionDigest: "0xd1", positionId: "0xp1", kind: "open", status: "SENT", transactionHash: "", createdAt: "2026-12-03T09:58:00Z" }] }),
    }),
  );
  return { admin: createClient(Admin, transport), calls };
}

describe("the admin console's panels", () => {
  it("executes only a ready governance operation, cancels any, and shows the queue after the act", async () => {
    const { admin, calls } = fakeGateway();
    render(<AdminPanels admin={admin} assets={["BTC-USD"]} />);
    const governance = within(screen.getByRole("region", { name: "governance" }));
    await waitFor(() => expect(governance.getAllByTestId("governance-op")).toHaveLength(2));
    const [ready, waiting] = governance.getAllByTestId("governance-op");
    expect(within(waiting).getByText("Execute").hasAttribute("disabled")).toBe(true);

    fireEvent.click(within(ready).getByText("Execute"));
    await waitFor(() => expect(governance.getByRole("status").textContent).toBe(`executed ${READY}: sent: transaction 0x${"ab".repeat(32)} in block 42`));
    expect(calls.executed).toEqual([READY]);
    expect(governance.getAllByTestId("governance-op")).toHaveLength(1);

    fireEvent.click(within(governance.getByTestId("governance-op")).getByText("Cancel"));
    await waitFor(() => expect(calls.cancelled).toEqual([WAITING]));
  });

  it("queues a change parsed by the proto schema and refuses a field the proto does not have, sending nothing", async () => {
    const { admin, calls } = fakeGateway();
    render(<AdminPanels admin={admin} assets={[]} />);
    const governance = within(screen.getByRole("region", { name: "governance" }));
    fireEvent.change(governance.getByLabelText("change kind"), { target: { value: "setGovernanceDelay" } });
    expect(JSON.parse((governance.getByLabelText("change fields") as HTMLTextAreaElement).value)).toEqual({ delaySeconds: "86400" });

    fireEvent.change(governance.getByLabelText("change fields"), { target: { value: '{"delay": 3600}' } });
    fireEvent.click(governance.getByText("Queue change"));
    await waitFor(() => expect(governance.getByRole("alert").textContent).toContain("delay"));
    expect(calls.queued).toHaveLength(0);

    fireEvent.change(governance.getByLabelText("change fields"), { target: { value: '{"delaySeconds": "3600"}' } });
    fireEvent.click(governance.getByText("Queue change"));
    await waitFor(() => expect(governance.getByRole("status").textContent).toBe(`queued setGovernanceDelay as 0x${"33".repeat(32)}, runs from ${new Date(1_800_086_400_000).toISOString()}`));
    expect(calls.queued.map((r) => r.change)).toEqual([{ case: "setGovernanceDelay", value: expect.objectContaining({ delaySeconds: 3600n }) }]);
  });

  it("halts only with a reason and shows the gateway's refusal in its words", async () => {
    const { admin, calls } = fakeGateway();
    render(<AdminPanels admin={admin} assets={[]} />);
    const failsafes = within(screen.getByRole("region", { name: "failsafes" }));
    expect(failsafes.getByText("Halt trading").hasAttribute("disabled")).toBe(true);

    fireEvent.change(failsafes.getByLabelText("halt reason"), { target: { value: "refuse" } });
    fireEvent.click(failsafes.getByText("Halt trading"));
    await waitFor(() => expect(failsafes.getByRole("alert").textContent).toBe("0xabc is signed in but this call needs the admin role"));

    fireEvent.change(failsafes.getByLabelText("halt reason"), { target: { value: "oracle keys rotated" } });
    fireEvent.click(failsafes.getByText("Halt trading"));
    await waitFor(() => expect(calls.halts).toEqual(["oracle keys rotated"]));
  });

  it("shows each asset's model and the oracle backlog, and promotes a model directory", async () => {
    const { admin, calls } = fakeGateway();
    render(<AdminPanels admin={admin} assets={["BTC-USD", "ETH-USD"]} />);
    await waitFor(() => expect(screen.getByTestId("model-ETH-USD").textContent).toContain("0xmodel-ETH-USD from /models/ETH-USD"));
    expect((await screen.findByTestId("backlog-summary")).textContent).toBe("3 queued, 1 sent, oldest 95 s old");
    expect(within(screen.getByRole("region", { name: "oracle backlog" })).getByText("not sent")).toBeTruthy();

    fireEvent.change(screen.getByLabelText("BTC-USD model directory"), { target: { value: " /models/new " } });
    fireEvent.click(within(screen.getByTestId("model-BTC-USD")).getByText("Promote"));
    await waitFor(() => expect(screen.getByTestId("model-BTC-USD").textContent).toContain("0xpromoted"));
    expect(calls.promoted).toEqual(["/models/new"]);
  });

  it("shows each asset's drift watch per side, alerting while a side is in the fallback, and the trainer's challenger", async () => {
    const { admin } = fakeGateway();
    render(<AdminPanels admin={admin} assets={["BTC-USD"]} />);
    const learning = await screen.findByTestId("learning-BTC-USD");
    expect(learning.textContent).toBe(
      "drift watch (target 95 %, fallback below 85 %): longs: 84.0 % of the last 50, conservative fallback; " +
        "shorts: 100.0 % of the last 12 (of 50). Trainer: shadow 0xchallenger",
    );
    expect(learning.getAttribute("role")).toBe("alert");
  });
});
