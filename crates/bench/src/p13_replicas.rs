//! P13: one replica against two, each behind nginx (round robin), on the
//! same database: share links per second (the page's "Share" request) and
//! page views per second (the workspace page), 16 clients, and where the
//! machine's CPU went (both servers, nginx, Postgres, the load generator and
//! s3s-fs). On two cores, everything shares them: a second replica can only
//! help as far as the first one was not already using what the others need.

use super::*;
use bucketdesk_testkit::{Nginx, free_port};

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 250;

pub(crate) async fn p13_replicas(stack: &mut Stack) -> Result<Value> {
    let first = stack.url.trim_start_matches("http://").to_owned();
    let second_port = free_port();
    let second = start_replica(&mut stack.command, second_port).await?;
    let second = Replica(second);
    let one = Nginx::balancing(free_port(), &[&first], "100m");
    let two = Nginx::balancing(
        free_port(),
        &[&first, &format!("127.0.0.1:{second_port}")],
        "100m",
    );
    let mut out = json!({});
    for (name, nginx) in [("one_replica", &one), ("two_replicas", &two)] {
        let servers = match name {
            "one_replica" => vec![stack.server.id()],
            _ => vec![stack.server.id(), second.0.id()],
        };
        let nginx_pid = nginx.pid().context("nginx runs")?;
        out[name] = json!({
            "share_links": measured(stack, &servers, nginx_pid, share_link(stack, &nginx.url())).await?,
            "page_views": measured(stack, &servers, nginx_pid, page_view(stack, &nginx.url())).await?,
        });
    }
    for what in ["share_links", "page_views"] {
        out[format!("{what}_ratio")] = json!(round(
            out["two_replicas"][what]["requests_per_second"]
                .as_f64()
                .unwrap_or(0.0)
                / out["one_replica"][what]["requests_per_second"]
                    .as_f64()
                    .unwrap_or(1.0)
        ));
    }
    Ok(out)
}

/// The second server, stopped when dropped.
struct Replica(Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Requests per second of the load, and the CPU milliseconds per request
/// of each part of the machine.
async fn measured(
    stack: &Stack,
    servers: &[u32],
    nginx: u32,
    send: impl Fn() -> Request + Clone + Send + 'static,
) -> Result<Value> {
    let cpu = |pid: u32| process_cpu(&pid.to_string()).map_or(0.0, |(_, s)| s);
    let servers_before: Vec<f64> = servers.iter().map(|pid| cpu(*pid)).collect();
    let nginx_before = cpu(nginx);
    let mut result = load(stack, CLIENTS, PER_CLIENT, send).await?;
    let requests = (CLIENTS * PER_CLIENT) as f64;
    let per_request = |before: f64, after: f64| round((after - before) * 1000.0 / requests);
    let servers_ms: Vec<f64> = servers
        .iter()
        .zip(servers_before)
        .map(|(pid, before)| per_request(before, cpu(*pid)))
        .collect();
    result["cpu_ms_per_request"]["servers"] = json!(servers_ms);
    result["cpu_ms_per_request"]["nginx"] = json!(per_request(nginx_before, cpu(nginx)));
    Ok(result)
}
