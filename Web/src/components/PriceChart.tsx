import { useEffect, useRef } from "react";
import { CandlestickSeries, createChart, type UTCTimestamp } from "lightweight-charts";
import type { Candle } from "../gen/aml/v1/markets_pb";

const E8 = 100_000_000;

/** The market's candles (the new ListCandles RPC) as a candlestick chart. */
export function PriceChart({ candles }: { candles: Candle[] }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = createChart(element.current, { height: 280, layout: { background: { color: "#0f1419" }, textColor: "#c9d1d9" } });
    const series = chart.addSeries(CandlestickSeries);
    series.setData(
      candles.map((c) => ({
        time: Number(c.openTime) as UTCTimestamp,
        open: Number(c.openE8) / E8,
        high: Number(c.highE8) / E8,
        low: Number(c.lowE8) / E8,
        close: Number(c.closeE8) / E8,
      })),
    );
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [candles]);
  return <div className="chart" ref={element} data-testid="price-chart" />;
}
