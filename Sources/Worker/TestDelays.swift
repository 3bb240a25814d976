import Glibc
import PipeLabExperiment

/// Test-only delays, so that a test can disturb a run on purpose; each applies to the first run of
/// a worker only. From the environment, in debug builds:
/// - PIPELAB_TEST_PEER_DELAY: the peer waits this long before ending the connection;
/// - PIPELAB_TEST_PEER_START_DELAY: the peer waits this long after the start barrier, before its first call;
/// - PIPELAB_TEST_PAUSE_DELAY: the client's pause before send #3 runs this much longer.
package struct TestDelays {
    package var peerEndNs: Int64
    package var peerStartNs: Int64
    package var pauseNs: Int64

    package static let none = TestDelays(peerEndNs: 0, peerStartNs: 0, pauseNs: 0)

    /// Read in debug builds only (the tests' own): a release binary's runs are never disturbed by a
    /// variable left in someone's environment.
    package static func fromEnvironment() -> TestDelays {
        #if DEBUG
        TestDelays(peerEndNs: read("PIPELAB_TEST_PEER_DELAY"), peerStartNs: read("PIPELAB_TEST_PEER_START_DELAY"),
                   pauseNs: read("PIPELAB_TEST_PAUSE_DELAY"))
        #else
        .none
        #endif
    }

    private static func read(_ name: String) -> Int64 {
        guard let text = getenv(name) else { return 0 }
        return (try? DurationText.parse(String(cString: text), name: name)) ?? 0
    }
}
