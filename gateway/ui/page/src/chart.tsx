import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One uPlot line chart; data is `[x, ...ys]` columns, redrawn in place on each change. */
export function Chart({ title, series, data, unit }: { title: string; series: string[]; data: Array<Array<number | null>>; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    const colors = ['#3b82f6', '#f59e0b', '#ef4444', '#10b981'];
    plot.current = new uPlot(
      {
        title,
        width: 360,
        height: 180,
        series: [{}, ...series.map((label, i) => ({ label, stroke: colors[i % colors.length]!, width: 1.5, spanGaps: true }))],
        axes: [{ stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } }, { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, label: unit }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      data as uPlot.AlignedData,
      box.current!,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(data as uPlot.AlignedData), [data]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}
