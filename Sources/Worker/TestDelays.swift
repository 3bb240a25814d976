import Glibc
import PipeLabExperiment

/// Test-only delays, so that a test can disturb a run on purpose; each applies to the first run of
/// a worker only. From the environment:
/// - PIPELAB_TEST_PEER_DELAY: the peer waits this long before ending the connection;
/// - PIPELAB_TEST_PEER_START_DELAY: the peer waits this long after the start barrier, before its first call;
/// - PIPELAB_TEST_PAUSE_DELAY: the client's pause before send #3 runs this much longer.
package struct TestDelays {
    package var peerEndNs: Int64
    package var peerStartNs: Int64
    package var pauseNs: Int64

    package static let none = TestDelays(peerEndNs: 0, peerStartNs: 0, pauseNs: 0)

    package static func fromEnvironment() -> TestDelays {
        TestDelays(peerEndNs: read("PIPELAB_TEST_PEER_DELAY"), peerStartNs: read("PIPELAB_TEST_PEER_START_DELAY"),
                   pauseNs: read("PIPELAB_TEST_PAUSE_DELAY"))
    }

    private static func read(_ name: String) -> Int64 {
        guard let text = getenv(name) else { return 0 }
        return (try? DurationText.parse(String(cString: text), name: name)) ?? 0
    }
}
