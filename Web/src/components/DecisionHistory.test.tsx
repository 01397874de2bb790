// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { DecisionRecordSchema, VerdictSchema } from "../gen/aml/v1/positions_pb";
import type { Verification } from "../chain/verification";
import { DecisionTable } from "./DecisionHistory";

afterEach(cleanup);

const hash = (byte: string) => "0x" + byte.repeat(32);

describe("a position's decision history", () => {
  it("lists each decision with its kind in words, digest, signers, model, features, transaction and result", () => {
    render(
      <DecisionTable
        decisions={[
          create(DecisionRecordSchema, {
            kind: "OPEN", digest: hash("01"), signers: ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"],
            modelHash: hash("0a"), featuresHash: hash("0b"), transactionHash: hash("0c"), status: "APPLIED", outcome: "PositionOpened in block 27",
          }),
          create(DecisionRecordSchema, { kind: "LIQUIDATE", digest: hash("02"), signers: [], modelHash: hash("0a"), featuresHash: hash("0d"), status: "QUEUED" }),
        ]}
      />,
    );

    const rows = [...screen.getByTestId("decision-history").querySelectorAll("tbody tr")].map((r) =>
      [...r.querySelectorAll("td")].map((td) => td.textContent),
    );
    expect(rows).toEqual([
      ["OPEN (opened)", "0x01010101…0101", "2 (0x70997970…79C8, 0x3C44CdDd…93BC)", "0x0a0a0a0a…0a0a", "0x0b0b0b0b…0b0b", "0x0c0c0c0c…0c0c", "APPLIED: PositionOpened in block 27"],
      ["LIQUIDATE (liquidated)", "0x02020202…0202", "—", "0x0a0a0a0a…0a0a", "0x0d0d0d0d…0d0d", "—", "QUEUED"],
    ]);
  });

  it("says so when there is none yet", () => {
    render(<DecisionTable decisions={[]} />);
    expect(screen.getByText("no decision on this position yet")).toBeTruthy();
  });

  it("verifies a decision on demand and lists the browser's verdicts, then the gateway's, then the CLI line", async () => {
    const asked: string[] = [];
    const verify = async (digest: string): Promise<Verification> => {
      asked.push(digest);
      return {
        digest,
        browser: [
          { check: "digest", passed: true, detail: "recomputed" },
          { check: "signer set", passed: false, detail: "signature 1 recovers to 0xdead, signer 2 at block 27 is 0xbeef" },
        ],
        gateway: [create(VerdictSchema, { check: "recompute", passed: true, detail: "cap 1000 (X100), as signed" })],
        command: `aml verify ${digest}`,
      };
    };
    render(<DecisionTable decisions={[create(DecisionRecordSchema, { kind: "OPEN", digest: hash("01"), status: "APPLIED" })]} verify={verify} />);

    fireEvent.click(screen.getByText("Verify"));
    const report = await screen.findByTestId(`verification-${hash("01")}`);

    expect(asked).toEqual([hash("01")]);
    expect(report.dataset.passed).toBe("false");
    expect(report.textContent).toContain("FAILED verification in this browser");
    expect([...report.querySelectorAll("[data-testid=browser-verdict]")].map((li) => [li.getAttribute("data-check"), li.getAttribute("data-passed")]))
      .toEqual([["digest", "true"], ["signer set", "false"]]);
    expect(report.querySelector("[data-testid=gateway-verdict]")!.textContent).toBe("✓ recompute: cap 1000 (X100), as signed");
    expect(report.querySelector("code")!.textContent).toBe(`aml verify ${hash("01")}`);
  });

  it("says why when a decision could not be verified", async () => {
    render(<DecisionTable decisions={[create(DecisionRecordSchema, { kind: "OPEN", digest: hash("01") })]} verify={() => Promise.reject(new Error("connect a wallet to read the chain"))} />);
    fireEvent.click(screen.getByText("Verify"));
    expect((await screen.findByText(/could not verify/)).textContent).toBe("0x01010101…0101: could not verify: connect a wallet to read the chain");
  });
});
