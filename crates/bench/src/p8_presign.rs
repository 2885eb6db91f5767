//! P8: presigned links for 1,000 keys: `bdk` against `aws s3 presign` and boto3.

use super::*;

pub(crate) async fn p8_presign_1000(stack: &Stack, options: &Options) -> Result<Value> {
    let bdk = std::env::current_exe()?.with_file_name("bdk");
    if !bdk.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p bucketdesk-cli`",
            bdk.display()
        );
    }
    let mut bdk_ms = Vec::new();
    for _ in 0..options.runs {
        let (took, csv) = timed(
            Command::new(&bdk)
                .args(["presign", "--recursive", "s3://bench/1k/", "--csv"])
                .env("BDK_URL", &stack.url)
                .env("BDK_TOKEN", &stack.token)
                .env("BDK_CONFIG", "/nonexistent/bdk.json"),
        )?;
        if csv.lines().count() != 1001 {
            bail!("bdk presigned {} keys, not 1000", csv.lines().count() - 1);
        }
        bdk_ms.push(took);
    }
    let mut out = json!({ "bdk_batch_ms": spread(bdk_ms) });
    let endpoint = stack.s3.endpoint();
    let keys = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    };
    match program("AWS_CLI", "aws") {
        Some(aws) => {
            let started = Instant::now();
            for i in 0..options.aws_cli_runs {
                let mut cmd = Command::new(&aws);
                cmd.args(["s3", "presign"])
                    .arg(format!("s3://bench/1k/object-{i:06}.txt"))
                    .args(["--endpoint-url", &endpoint, "--expires-in", "900"]);
                keys(&mut cmd);
                timed(&mut cmd)?;
            }
            let per_key = ms(started.elapsed()) / options.aws_cli_runs as f64;
            out["aws_cli"] = json!({
                "processes_run": options.aws_cli_runs,
                "ms_per_key": round(per_key),
                "ms_for_1000": round(per_key * 1000.0),
            });
        }
        None => out["aws_cli"] = json!("skipped: no aws command (pip install awscli)"),
    }
    match program("PYTHON", "python3") {
        Some(python) => {
            let script = format!(
                "import boto3\n\
                 s3 = boto3.client('s3', endpoint_url='{endpoint}')\n\
                 for i in range(1000):\n\
                 \x20   print(s3.generate_presigned_url('get_object', Params={{'Bucket': 'bench', 'Key': '1k/object-%06d.txt' % i}}, ExpiresIn=900))\n"
            );
            let mut boto_ms = Vec::new();
            for _ in 0..options.runs {
                let mut cmd = Command::new(&python);
                cmd.args(["-c", &script]);
                keys(&mut cmd);
                match timed(&mut cmd) {
                    Ok((took, urls)) if urls.lines().count() == 1000 => boto_ms.push(took),
                    _ => break,
                }
            }
            out["boto3_loop_ms"] = if boto_ms.is_empty() {
                json!("skipped: no boto3 for that python (pip install boto3)")
            } else {
                spread(boto_ms)
            };
        }
        None => out["boto3_loop_ms"] = json!("skipped: no python3"),
    }
    Ok(out)
}
