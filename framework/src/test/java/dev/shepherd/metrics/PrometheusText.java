package dev.shepherd.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a scrape in the Prometheus text format the way a scraper does: one sample per line, labels in any order. */
final class PrometheusText {

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PrometheusText() {
    }

    /** @return the sample lines, comments (HELP, TYPE) left out */
    static List<String> samples(String scrape) {
        return scrape.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
    }

    /**
     * @param labels labels the sample must carry (it may carry more)
     * @return the values of every sample of that name with those labels, added up (such as the heap's memory pools)
     * @throws AssertionError when there is none, naming what the scrape holds of that name
     */
    static double total(String scrape, String name, Map<String, String> labels) {
        List<Double> values = values(scrape, name, labels);
        if (values.isEmpty()) {
            throw none(scrape, name, labels);
        }
        return values.stream().mapToDouble(Double::doubleValue).sum();
    }

    /**
     * @param labels labels the sample must carry (it may carry more)
     * @return the value of the first sample of that name with those labels
     * @throws AssertionError when there is none, naming what the scrape holds of that name
     */
    static double sample(String scrape, String name, Map<String, String> labels) {
        List<Double> values = values(scrape, name, labels);
        if (values.isEmpty()) {
            throw none(scrape, name, labels);
        }
        return values.get(0);
    }

    private static List<Double> values(String scrape, String name, Map<String, String> labels) {
        List<Double> values = new ArrayList<>();
        for (String line : samples(scrape)) {
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches() || !sample.group(1).equals(name)) {
                continue;
            }
            Map<String, String> present = new HashMap<>();
            Matcher label = LABEL.matcher(sample.group(2) == null ? "" : sample.group(2));
            while (label.find()) {
                present.put(label.group(1), label.group(2));
            }
            if (present.entrySet().containsAll(labels.entrySet())) {
                values.add(Double.parseDouble(sample.group(3)));
            }
        }
        return values;
    }

    private static AssertionError none(String scrape, String name, Map<String, String> labels) {
        return new AssertionError("no sample " + name + labels + " in the scrape; of that name: "
                + samples(scrape).stream().filter(line -> line.startsWith(name)).toList());
    }
}
