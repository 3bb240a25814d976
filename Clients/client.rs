// pipelab's Rust client: TcpStream::write with the standard library's SIGPIPE handling (ignored
// before main). One JSON line per send on stdout; the environment it reads is described in
// Clients/README.md.
use std::env;
use std::io::Write;
use std::net::TcpStream;
use std::thread::sleep;
use std::time::Duration;

fn number(name: &str, fallback: u64) -> u64 {
    env::var(name).ok().and_then(|text| text.parse().ok()).unwrap_or(fallback)
}

fn main() {
    let host = env::var("PIPELAB_HOST").expect("PIPELAB_HOST");
    let port: u16 = env::var("PIPELAB_PORT").expect("PIPELAB_PORT").parse().expect("PIPELAB_PORT");
    let sends = number("PIPELAB_SENDS", 3);
    let payload = vec![0u8; number("PIPELAB_PAYLOAD_BYTES", 5) as usize];
    let (sleep_ns, interval_ns) = (number("PIPELAB_SLEEP_NS", 0), number("PIPELAB_INTERVAL_NS", 0));
    let mut stream = TcpStream::connect((host.as_str(), port)).expect("connect");
    for n in 1..=sends {
        if n == 2 {
            sleep(Duration::from_nanos(sleep_ns));
        } else if n > 2 && interval_ns > 0 {
            sleep(Duration::from_nanos(interval_ns));
        }
        match stream.write(&payload) {
            Ok(bytes) => println!("{{\"send\":{},\"ok\":true,\"bytes\":{}}}", n, bytes),
            Err(error) => println!(
                "{{\"send\":{},\"ok\":false,\"error\":\"{:?}\",\"errno\":{},\"message\":{:?}}}",
                n, error.kind(), error.raw_os_error().unwrap_or(0), error.to_string()
            ),
        }
    }
    drop(stream);
    println!("{{\"end\":\"returned\"}}");
}
