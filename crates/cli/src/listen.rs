//! The one parser of every `--listen`-like flag: `HOST:PORT`, where HOST is
//! an IP address (`127.0.0.1`, `0.0.0.0`, `[::1]`) or a name the system
//! resolves (`localhost`), as users write it in a browser's address bar.

use std::net::{SocketAddr, ToSocketAddrs};

/// What the flags accept, said in every refusal.
const EXPECTED: &str =
    "expected HOST:PORT, such as 127.0.0.1:9090, localhost:9090, 0.0.0.0:9090 or [::1]:9090";

/// `text` as an address to bind. A host name binds the first address it
/// resolves to, IPv4 first: `localhost` is then 127.0.0.1, which is what
/// the URLs the commands print and the docs show.
pub fn parse(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        let missing = if text.parse::<u16>().is_ok() {
            "host"
        } else {
            "port"
        };
        return Err(format!("no {missing} in `{text}`; {EXPECTED}"));
    };
    if host.is_empty() {
        return Err(format!("no host in `{text}`; {EXPECTED}"));
    }
    if port.parse::<u16>().is_err() {
        return Err(format!(
            "port `{port}` is not a number from 0 to 65535; {EXPECTED}"
        ));
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{host}` ({e}); {EXPECTED}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{host}` resolves to no address; {EXPECTED}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: `--listen localhost:9090` said only "invalid socket
    /// address syntax".
    #[test]
    fn host_names_resolve_and_addresses_parse() {
        assert_eq!(
            parse("localhost:9090"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 9090)))
        );
        assert_eq!(
            parse("127.0.0.1:0"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 0)))
        );
        assert_eq!(
            parse("0.0.0.0:8080"),
            Ok(SocketAddr::from(([0, 0, 0, 0], 8080)))
        );
        assert_eq!(
            parse("[::1]:6443"),
            "[::1]:6443"
                .parse::<SocketAddr>()
                .map_err(|e| e.to_string())
        );
    }

    #[test]
    fn refusals_say_what_is_expected() {
        let e = |t: &str| parse(t).expect_err("refused");
        assert_eq!(
            e("localhost"),
            format!("no port in `localhost`; {EXPECTED}")
        );
        assert_eq!(e("9090"), format!("no host in `9090`; {EXPECTED}"));
        assert_eq!(e(":9090"), format!("no host in `:9090`; {EXPECTED}"));
        assert_eq!(
            e("localhost:http"),
            format!("port `http` is not a number from 0 to 65535; {EXPECTED}")
        );
        assert_eq!(
            e("localhost:70000"),
            format!("port `70000` is not a number from 0 to 65535; {EXPECTED}")
        );
        assert!(
            e("no-such-host.invalid:9090").starts_with("cannot resolve `no-such-host.invalid` (")
        );
    }
}
