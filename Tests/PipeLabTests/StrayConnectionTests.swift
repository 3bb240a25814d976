import Glibc
@testable import PipeLabExperiment
@testable import PipeLabKernel
@testable import PipeLabNetwork
@testable import PipeLabReport
@testable import PipeLabStore
@testable import PipeLabSweep
@testable import PipeLabWorker
import Testing

@Suite struct StrayConnectionTests {
    /// A connection that is not the run's client is reset, never taken for the client.
    @Test func listenerRefusesAStrayAndAcceptsItsClient() throws {
        let listener = try LoopbackListener(transport: .tcp4)
        let stray = try listener.newClientSocket()
        #expect(!listener.connect(stray).failed)
        let client = try listener.newClientSocket()
        #expect(!listener.connect(client).failed)

        let accepted = listener.accept(expecting: client)
        #expect(!accepted.failed)
        #expect(Sockets.address(of: Int32(accepted.value), peer: true) == Sockets.address(of: client, peer: false))

        // The stray was answered with RST.
        var byte: UInt8 = 0
        var request = pollfd(fd: stray, events: Int16(POLLIN), revents: 0)
        _ = poll(&request, 1, 2000)
        let received = recv(stray, &byte, 1, 0)
        #expect(received == -1 && errno == ECONNRESET)
        close(stray)
        close(client)
        close(Int32(accepted.value))
    }
}
