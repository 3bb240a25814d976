import Glibc
import PipeLabExperiment
import PipeLabKernel
import PipeLabNetwork

/// The client's probe (DESIGN.md): one call after its sleep and before send #2, recorded as a
/// step that is not a send. None of them can block or raise SIGPIPE.
package enum ClientProbe {
    package static func make(_ probe: Probe, fd: Int32, recorder: StepRecorder, buffer: inout [UInt8]) {
        switch probe {
        case .none:
            return
        case .recv:
            recorder.record(.client, .recv, bytes: Probe.recvBytes, fd: fd) {
                buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            }
        case .poll:
            var request = pollfd(fd: fd, events: Int16(POLLIN | POLLOUT) | ProbeResult.pollReadHangUp, revents: 0)
            recorder.record(.client, .poll, bytes: 0, fd: fd, value: { Int64(UInt16(bitPattern: request.revents)) }) {
                Int(Glibc.poll(&request, 1, 0))
            }
        case .soError:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            recorder.record(.client, .getsockopt, bytes: 0, fd: fd, value: { Int64(error) }) {
                Int(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length))
            }
        case .shutdownWrite:
            recorder.record(.client, .shutdown, bytes: 0, fd: fd) { Int(Glibc.shutdown(fd, Int32(SHUT_WR))) }
        }
    }
}
