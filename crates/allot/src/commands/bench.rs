//! `allot bench`: times allot beside python polars and DuckDB on a large synthetic
//! organisation, or counts the sync's requests.

use allot_bench::{run as bench, sync_requests, BenchSpec};

use crate::cli::BenchArgs;
use crate::output;

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    if args.sync {
        let exe = std::env::current_exe()?;
        return Ok(output::stdout(&sync_requests(
            args.sync_people,
            args.month,
            &args.dir,
            &exe,
        )?)?);
    }
    if args.serve {
        return serve(args, quiet);
    }
    if args.scale {
        let mut people = args.scale_people.clone();
        people.sort_unstable();
        people.dedup();
        let mut years = args.scale_years.clone();
        years.retain(|y| *y > 0);
        years.sort_unstable();
        years.dedup();
        return Ok(allot_bench::scale(
            &allot_bench::ScaleSpec {
                people,
                years,
                month: args.month,
                dir: args.dir.clone(),
                repeat: args.repeat.max(1),
            },
            &std::env::current_exe()?,
            &|m| output::say(quiet, m),
        )?);
    }
    let exe = std::env::current_exe()?;
    bench(
        &BenchSpec {
            people: args.people,
            month: args.month,
            dir: args.dir.clone(),
            no_peers: args.no_peers,
            year: args.year,
        },
        &exe,
        &|m| output::say(quiet, m),
    )?;
    Ok(())
}

/// Times every kind of dashboard page on the demo store, then on a large synced one.
fn serve(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    use allot_app::sources::Origin;
    use allot_app::{MappingSpec, WatchOptions, Workspace};
    use allot_bench::StoreLayout;
    let say = |m: &str| output::say(quiet, m);
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let demo_dir = args.dir.join("serve-demo");
    if !demo_dir.join("store/store.json").exists() {
        say(&format!(
            "bench --serve: making the demo store in {}",
            demo_dir.display()
        ));
        allot_app::demo::run(&demo_dir, as_of)?;
    }
    let mut runs = vec![(
        "demo store".to_string(),
        demo_dir.join("store"),
        demo_dir.join("input/org-mapping.csv"),
        as_of,
    )];
    // The same organisation in both store layouts, side by side: the older per-user report's
    // and the Usage and Cost Analytics API's (identities resolved through fallbacks).
    for (layout, what) in [
        (StoreLayout::PerUser, "per-user layout"),
        (StoreLayout::PerActor, "per-actor layout"),
    ] {
        let (store, mapping, big_as_of) =
            allot_bench::serve_store(args.people, args.month, layout, &args.dir, &say)?;
        runs.push((
            format!("{} people, {}, {what}", args.people, args.month),
            store,
            mapping,
            big_as_of,
        ));
    }
    for (name, store, mapping, as_of) in runs {
        let ws = Workspace::open(
            &MappingSpec::file(&mapping),
            Origin::Store(store).into(),
            as_of,
        )?;
        let measured = allot_serve::measure(allot_serve::ServeConfig {
            workspace: ws,
            watch: WatchOptions::default(),
            invoices: Vec::new(),
            policy: allot_engine::UnmappedPolicy::Bucket,
            pseudonyms: None,
            token: None,
            as_of_today: false,
            hosts: Vec::new(),
            stale_after: std::time::Duration::from_secs(36 * 3600),
            behind_https: false,
            reload: None,
        })?;
        output::stdout(&format!("bench --serve: {name}\n{measured}\n"))?;
    }
    Ok(())
}
