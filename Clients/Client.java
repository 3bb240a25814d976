// pipelab's Java client: Socket.getOutputStream().write with the JVM's own SIGPIPE handling, so a
// failing write throws an IOException. One JSON line per send on stdout; the environment it reads
// is described in Clients/README.md.
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

public class Client {
    private static long number(String name, long fallback) {
        String text = System.getenv(name);
        return text == null ? fallback : Long.parseLong(text);
    }

    private static String quoted(String text) {
        if (text == null) return "null";
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void pause(long ns) throws InterruptedException {
        if (ns > 0) Thread.sleep(ns / 1_000_000, (int) (ns % 1_000_000));
    }

    public static void main(String[] arguments) throws Exception {
        long sends = number("PIPELAB_SENDS", 3);
        byte[] payload = new byte[(int) number("PIPELAB_PAYLOAD_BYTES", 5)];
        long sleepNs = number("PIPELAB_SLEEP_NS", 0), intervalNs = number("PIPELAB_INTERVAL_NS", 0);
        Socket socket = new Socket(System.getenv("PIPELAB_HOST"), Integer.parseInt(System.getenv("PIPELAB_PORT")));
        OutputStream out = socket.getOutputStream();
        for (long n = 1; n <= sends; n++) {
            if (n == 2) pause(sleepNs);
            else if (n > 2) pause(intervalNs);
            try {
                out.write(payload);
                System.out.println("{\"send\":" + n + ",\"ok\":true,\"bytes\":" + payload.length + "}");
            } catch (IOException error) {
                System.out.println("{\"send\":" + n + ",\"ok\":false,\"error\":" + quoted(error.getClass().getName())
                    + ",\"message\":" + quoted(error.getMessage()) + "}");
            }
            System.out.flush();
        }
        socket.close();
        System.out.println("{\"end\":\"returned\"}");
    }
}
