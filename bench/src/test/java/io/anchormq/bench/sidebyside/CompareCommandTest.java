package io.anchormq.bench.sidebyside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompareCommandTest {

    private static JsonNode report(String brokerCpus, String generatorCpus) throws Exception {
        return new ObjectMapper().readTree("{\"cpu\": {\"generatorCores\": 0.5, \"generatorCpus\": 1, "
                + "\"generatorCpuList\": \"" + generatorCpus + "\", \"generatorSaturated\": false, \"brokerPid\": 7, "
                + "\"brokerCores\": 0.9, \"brokerCpuList\": \"" + brokerCpus + "\"}}");
    }

    @Test
    void cpuListsAsTheKernelWritesThem() {
        BitSet expected = new BitSet();
        expected.set(0);
        expected.set(2, 4);
        assertEquals(expected, CompareCommand.cpus("0,2-3"));
        assertEquals(1, CompareCommand.cpus("1").cardinality());
    }

    @Test
    void eachTableSaysWhereItWasMeasured() throws Exception {
        Map<String, JsonNode> pinned = new LinkedHashMap<>();
        pinned.put("anchormq", report("1", "0"));
        pinned.put("mosquitto", report("1", "0"));
        assertTrue(CompareCommand.pinning(pinned).startsWith("Equal CPU: each broker pinned to CPU 1, the load generator to CPU 0"));

        Map<String, JsonNode> shared = new LinkedHashMap<>();
        shared.put("anchormq", report("0-1", "0-1"));
        assertTrue(CompareCommand.pinning(shared).startsWith("Unpinned"));

        // reports from before the CPU columns say nothing, and the table then claims nothing
        Map<String, JsonNode> old = new LinkedHashMap<>();
        old.put("anchormq", new ObjectMapper().readTree("{}"));
        assertEquals("", CompareCommand.pinning(old));
    }
}
