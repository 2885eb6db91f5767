//! Measuring: medians, CPU time per process, a load of concurrent clients, timed commands.

use super::*;

pub(crate) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// CPU seconds used so far by the server, by every Postgres process, and by
/// this process (the load generator, and s3s-fs, which runs inside it).
#[derive(Clone, Copy)]
pub(crate) struct CpuTimes {
    pub(crate) app: f64,
    pub(crate) postgres: f64,
    pub(crate) bench: f64,
}

/// A process's name and user plus system CPU seconds, from `/proc/<pid>/stat`.
pub(crate) fn process_cpu(pid: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux counts in clock ticks of 1/100 s on every common platform
    Some((stat[open + 1..close].to_owned(), ticks / 100.0))
}

impl CpuTimes {
    pub(crate) fn now(server: u32) -> CpuTimes {
        let postgres = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| process_cpu(entry.file_name().to_str()?))
            .filter(|(name, _)| name == "postgres")
            .map(|(_, seconds)| seconds)
            .sum();
        CpuTimes {
            app: process_cpu(&server.to_string()).map_or(0.0, |(_, s)| s),
            postgres,
            bench: process_cpu("self").map_or(0.0, |(_, s)| s),
        }
    }
}

/// Requests per second, latency percentiles and CPU milliseconds per
/// request (server, Postgres, load generator) of `concurrency` clients each
/// sending `per_client` requests made by `send`.
pub(crate) async fn load<F, Fut>(
    stack: &Stack,
    concurrency: usize,
    per_client: usize,
    send: F,
) -> Result<Value>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let cpu_before = CpuTimes::now(stack.server.id());
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let send = send.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let at = Instant::now();
                send().await?;
                latencies.push(ms(at.elapsed()));
            }
            Ok::<_, anyhow::Error>(latencies)
        })
    });
    let mut latencies = Vec::new();
    for worker in futures::future::join_all(workers).await {
        latencies.extend(worker??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = CpuTimes::now(stack.server.id());
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let per_request =
        |before: f64, after: f64| round((after - before) * 1000.0 / latencies.len() as f64);
    Ok(json!({
        "requests_per_second": round(latencies.len() as f64 / elapsed),
        "p50_ms": round(pick(0.5)),
        "p99_ms": round(pick(0.99)),
        "cpu_ms_per_request": {
            "app": per_request(cpu_before.app, cpu.app),
            "postgres": per_request(cpu_before.postgres, cpu.postgres),
            "load_generator": per_request(cpu_before.bench, cpu.bench),
        },
    }))
}

/// Runs `command` to the end; its wall time, and its standard output.
pub(crate) fn timed(command: &mut Command) -> Result<(f64, String)> {
    let started = Instant::now();
    let output = command.stderr(Stdio::inherit()).output()?;
    let took = ms(started.elapsed());
    if !output.status.success() {
        bail!("{command:?} failed: {}", output.status);
    }
    Ok((took, String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// A program from the environment variable `var`, else `name` on PATH.
pub(crate) fn program(var: &str, name: &str) -> Option<String> {
    let wanted = std::env::var(var).unwrap_or_else(|_| name.to_owned());
    let found = Command::new(&wanted)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then_some(wanted)
}

/// What `work` gives, and the highest resident memory of the process `pid`
/// while it ran, in MiB (sampled every 20 ms).
pub(crate) async fn peak_rss_while<T>(
    pid: u32,
    work: impl std::future::Future<Output = T>,
) -> (T, f64) {
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut highest: f64 = 0.0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(mib) = rss_mib(pid) {
                    highest = highest.max(mib);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            highest
        })
    };
    let output = work.await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let highest = watcher
        .await
        .unwrap_or(0.0)
        .max(rss_mib(pid).unwrap_or(0.0));
    (output, highest)
}

/// One request of a load, made by the functions below.
pub(crate) type Request = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

/// The page's share-link request, through `base`.
pub(crate) fn share_link(
    stack: &Stack,
    base: &str,
) -> impl Fn() -> Request + Clone + Send + 'static {
    let client = stack.client();
    let url = format!("{base}{}/share", stack.bucket_path);
    let (cookie, csrf) = (stack.cookie.clone(), stack.csrf.clone());
    move || {
        let (client, url, cookie, csrf) =
            (client.clone(), url.clone(), cookie.clone(), csrf.clone());
        Box::pin(async move {
            let answer = client
                .post(url)
                .header("cookie", cookie)
                .header("x-csrf-token", csrf)
                .header("accept", "application/json")
                .form(&[("key", "10k/object-000001.txt")])
                .send()
                .await?;
            if !answer.status().is_success() {
                bail!("share link answered {}", answer.status());
            }
            answer.bytes().await?;
            Ok(())
        })
    }
}

/// The workspace page, through `base`.
pub(crate) fn page_view(
    stack: &Stack,
    base: &str,
) -> impl Fn() -> Request + Clone + Send + 'static {
    let client = stack.client();
    let url = format!("{base}/w/{}", stack.workspace);
    let cookie = stack.cookie.clone();
    move || {
        let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
        Box::pin(async move {
            let answer = client.get(url).header("cookie", cookie).send().await?;
            if !answer.status().is_success() {
                bail!("page answered {}", answer.status());
            }
            answer.bytes().await?;
            Ok(())
        })
    }
}
