// pipelab's Go client: net.Conn.Write with the Go runtime's own SIGPIPE handling (a socket's EPIPE
// is returned as an error, not fatal). One JSON line per send on stdout; the environment it reads
// is described in Clients/README.md.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func number(name string, fallback int64) int64 {
	if value, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return value
	}
	return fallback
}

func report(line map[string]any) {
	text, _ := json.Marshal(line)
	fmt.Println(string(text))
}

func main() {
	sends := number("PIPELAB_SENDS", 3)
	payload := make([]byte, number("PIPELAB_PAYLOAD_BYTES", 5))
	sleepNs, intervalNs := number("PIPELAB_SLEEP_NS", 0), number("PIPELAB_INTERVAL_NS", 0)
	conn, err := net.Dial("tcp", net.JoinHostPort(os.Getenv("PIPELAB_HOST"), os.Getenv("PIPELAB_PORT")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for n := int64(1); n <= sends; n++ {
		if n == 2 {
			time.Sleep(time.Duration(sleepNs))
		} else if n > 2 && intervalNs > 0 {
			time.Sleep(time.Duration(intervalNs))
		}
		written, err := conn.Write(payload)
		if err == nil {
			report(map[string]any{"send": n, "ok": true, "bytes": written})
			continue
		}
		var errno syscall.Errno
		errors.As(err, &errno)
		report(map[string]any{"send": n, "ok": false, "error": fmt.Sprintf("%T", err), "errno": int(errno), "message": err.Error()})
	}
	conn.Close()
	report(map[string]any{"end": "returned"})
}
