// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { create } from "@bufbuild/protobuf";
import { DecisionRecordSchema } from "../gen/aml/v1/positions_pb";
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
});
