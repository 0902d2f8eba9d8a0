package io.anchormq.bench.routing;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/** JMH results arranged as one row per benchmark and data set, with anchormq's score against the others. */
public final class RoutingRatios {

    private record Row(String benchmark, String unit, int size) {
    }

    private final Map<Row, Map<String, Result<?>>> rows;

    private RoutingRatios(Map<Row, Map<String, Result<?>>> rows) {
        this.rows = rows;
    }

    public static RoutingRatios of(Collection<RunResult> results) {
        Map<Row, Map<String, Result<?>>> rows = new TreeMap<>((a, b) -> {
            int c = order(a.benchmark) - order(b.benchmark);
            return c != 0 ? c : Integer.compare(a.size, b.size);
        });
        for (RunResult r : results) {
            String benchmark = r.getParams().getBenchmark();
            String shortName = benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1);
            String sizeParam = r.getParams().getParam("subscriptions");
            if (sizeParam == null) {
                sizeParam = r.getParams().getParam("fanout");
            }
            Row row = new Row(shortName, r.getPrimaryResult().getScoreUnit(), Integer.parseInt(sizeParam));
            rows.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(r.getParams().getParam("router"),
                    r.getPrimaryResult());
        }
        return new RoutingRatios(rows);
    }

    private static int order(String benchmark) {
        return benchmark.startsWith("RoutingMatch") ? 0 : benchmark.startsWith("RoutingSubscribe") ? 1 : 2;
    }

    public String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| benchmark | data set | anchormq | Moquette 0.17 | linear | anchormq / Moquette | anchormq / linear |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|\n");
        for (Map.Entry<Row, Map<String, Result<?>>> e : rows.entrySet()) {
            Row row = e.getKey();
            Map<String, Result<?>> by = e.getValue();
            out.append("| ").append(describe(row.benchmark)).append(" | ")
                    .append(row.benchmark.startsWith("RoutingFanOut") ? "fan-out " : "")
                    .append(String.format(Locale.ROOT, "%,d", row.size))
                    .append(row.benchmark.startsWith("RoutingFanOut") ? "" : " subscriptions").append(" | ")
                    .append(score(by.get("anchormq"))).append(" | ")
                    .append(score(by.get("moquette"))).append(" | ")
                    .append(score(by.get("linear"))).append(" | ")
                    .append(ratio(by.get("anchormq"), by.get("moquette"))).append(" | ")
                    .append(ratio(by.get("anchormq"), by.get("linear"))).append(" |\n");
        }
        out.append("\nScores are operations per second (± 99.9% confidence half-width as JMH reports it); higher is "
                + "better. match: topics routed/s; subscribe: subscribe+unsubscribe pairs/s; fan-out: hot-topic "
                + "routes/s (deliveries/s = score × fan-out).\n");
        return out.toString();
    }

    private static String describe(String benchmark) {
        return benchmark.startsWith("RoutingMatch") ? "match (topics/s)"
                : benchmark.startsWith("RoutingSubscribe") ? "subscribe + unsubscribe (pairs/s)"
                : "fan-out (routes/s)";
    }

    private static String score(Result<?> r) {
        if (r == null) {
            return "–";
        }
        double error = r.getScoreError();
        return Double.isNaN(error) ? human(r.getScore()) : human(r.getScore()) + " ± " + human(error);
    }

    private static String ratio(Result<?> a, Result<?> b) {
        if (a == null || b == null || b.getScore() == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f ×", a.getScore() / b.getScore());
    }

    static String human(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2f M", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%.1f k", v / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
