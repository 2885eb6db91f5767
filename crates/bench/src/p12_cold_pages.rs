//! P12: the pages that read the audit log and the memberships, on a busy
//! instance. Each is timed one request at a time on the bench's instance as
//! it is (a few events, one workspace), then again after SQL filled its
//! database with millions of audit events of 1,000 people over 30
//! workspaces of the bench person, and 50 pending invitations in the bench
//! workspace. The pages should not notice (target: under 20 ms each).

use super::*;

/// Requests per page and state, after a few to warm up.
const TIMES: usize = 30;

pub(crate) async fn p12_cold_pages(stack: &Stack, events: u64) -> Result<Value> {
    let w = &stack.workspace;
    let pages: Vec<(&str, String)> = vec![
        ("home", "/".into()),
        ("audit", format!("/w/{w}/audit")),
        (
            "audit_person_many_events",
            format!("/w/{w}/audit?person=someone7%40example.com"),
        ),
        ("audit_person_part", format!("/w/{w}/audit?person=someone7")),
        (
            "audit_person_few_events",
            format!("/w/{w}/audit?person=bench%40example.com"),
        ),
        (
            "audit_action",
            format!("/w/{w}/audit?action=link_downloaded"),
        ),
        (
            "audit_rare_action",
            format!("/w/{w}/audit?action=bucket_connected"),
        ),
        (
            "audit_bucket",
            format!("/w/{w}/audit?bucket={}", bucket_id(stack)),
        ),
        (
            "audit_days",
            format!("/w/{w}/audit?from=2026-01-01&until=2026-01-31"),
        ),
        ("members", format!("/w/{w}/members")),
    ];
    let mut empty = json!({});
    for (name, path) in &pages {
        empty[*name] = time_page(stack, path).await?;
    }
    eprintln!("P12: writing {events} audit events, 29 workspaces and 50 invitations with SQL...");
    let started = Instant::now();
    fill(stack, events)?;
    let filled_in_s = round(started.elapsed().as_secs_f64());
    let mut busy = json!({});
    let mut ratios = json!({});
    for (name, path) in &pages {
        busy[*name] = time_page(stack, path).await?;
        ratios[*name] = json!(round(
            busy[*name].as_f64().unwrap_or(0.0) / empty[*name].as_f64().unwrap_or(1.0)
        ));
    }
    Ok(json!({
        "audit_events": events,
        "workspaces": 30,
        "pending_invitations": 50,
        "filled_in_s": filled_in_s,
        "empty_ms": empty,
        "busy_ms": busy,
        "ratio": ratios,
    }))
}

/// The bucket's id, from its page's path.
fn bucket_id(stack: &Stack) -> &str {
    stack.bucket_path.rsplit('/').next().unwrap_or_default()
}

/// The median time of one page, in ms, one request at a time.
async fn time_page(stack: &Stack, path: &str) -> Result<Value> {
    let client = stack.client();
    let url = format!("{}{path}", stack.url);
    let mut times = Vec::with_capacity(TIMES);
    for i in 0..TIMES + 3 {
        let started = Instant::now();
        let answer = client
            .get(&url)
            .header("cookie", &stack.cookie)
            .send()
            .await?;
        let status = answer.status();
        answer.bytes().await?;
        if !status.is_success() {
            bail!("{path} answered {status}");
        }
        if i >= 3 {
            times.push(ms(started.elapsed()));
        }
    }
    Ok(json!(round(median(&times))))
}

/// Fills the bench's database with `psql` (the one found on PATH, or PSQL).
fn fill(stack: &Stack, events: u64) -> Result<()> {
    let workspace = &stack.workspace;
    let bucket = bucket_id(stack);
    let sql = format!(
        r#"
begin;
insert into workspaces (name, created_by)
select 'Busy ' || n, u.id
from generate_series(1, 29) n, (select id from users where email = 'bench@example.com') u;
insert into workspace_members (workspace_id, user_id, role)
select w.id, w.created_by, 'owner' from workspaces w where w.name like 'Busy %';
insert into invites (workspace_id, email, token_hash, invited_by, expires_at)
select '{workspace}', 'invitee' || n || '@example.com', sha256(('bench-invite-' || n)::bytea), u.id,
       now() + interval '7 days'
from generate_series(1, 50) n, (select id from users where email = 'bench@example.com') u;
insert into invite_buckets (invite_id, bucket_id, role)
select i.id, '{bucket}', 'viewer' from invites i where i.email like 'invitee%';
commit;
-- the bench workspace gets its thirtieth of the events; its bucket a third of those
create temporary table busy as
select (array_agg(id order by name))::uuid[] as ids
from workspaces where id = '{workspace}' or name like 'Busy %';
insert into audit_events (occurred_at, actor_email, action, workspace_id, bucket_id, details)
select now() - (n || ' seconds')::interval,
       'someone' || (n % 1000) || '@example.com',
       (array['share_link_created', 'link_downloaded', 'file_uploaded', 'files_deleted', 'sign_in'])[1 + n % 5],
       b.ids[1 + n % 30],
       case when b.ids[1 + n % 30] = '{workspace}' and n % 3 = 0 then '{bucket}'::uuid end,
       '{{}}'::jsonb
from generate_series(1, {events}) n, busy b;
vacuum analyze audit_events;
"#
    );
    let psql = std::env::var("PSQL").unwrap_or_else(|_| "psql".into());
    // from standard input: one statement at a time (VACUUM cannot run in a transaction)
    let mut child = Command::new(&psql)
        .arg(stack._database.url())
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("run {psql}"))?;
    std::io::Write::write_all(
        &mut child.stdin.take().context("psql's input")?,
        sql.as_bytes(),
    )?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "filling the database failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
