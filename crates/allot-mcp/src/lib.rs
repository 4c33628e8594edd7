//! `allot mcp`: allot's read-only answers as Model Context Protocol tools over stdio, so Claude
//! (Claude Code, Claude Desktop, any MCP client) can answer "why did our Claude bill go up?"
//! from the store. Every tool calls the application layer as the CLI does and answers with
//! the report's rows under the CSV's column names, its status word and its notes; nothing is
//! ever written. The store is opened afresh for each call, pinned at one version for it.

use std::borrow::Cow;
use std::sync::Arc;

use allot_app::{
    AdoptionOptions, AppError, ChargebackOptions, ExplainOptions, MonthReads, ReportOptions,
    TrendOptions, WatchOptions, Workspace,
};
use allot_core::{DateRange, Month, Per};
use allot_engine::UnmappedPolicy;
use allot_report::privacy::Pseudonymizer;
use allot_report::Report;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};

/// Opens the workspace a call reads (the store or files, the mapping, the as-of date).
pub type Open = dyn Fn() -> Result<Workspace, AppError> + Send + Sync;

/// What every call is answered from.
pub struct Context {
    /// Opens the workspace for one call.
    pub open: Box<Open>,
    /// The alert rules and budgets (`--rules`, `--budgets`), and the unmapped policy.
    pub watch: WatchOptions,
    /// Where uncovered cost goes in every tool.
    pub policy: UnmappedPolicy,
    /// The invoice the `reconcile` tool reconciles (`--invoice`), if given.
    pub invoice: Option<allot_app::reconcile::InvoiceSpec>,
    /// Replaces every email in every answer (`--pseudonymize`).
    pub pseudonyms: Option<Pseudonymizer>,
}

/// The server: the tools and the context they answer from.
#[derive(Clone)]
pub struct Server {
    context: Arc<Context>,
}

/// A tool's input schema: an object with these properties, `required` among them.
fn schema(properties: &[(&str, Value)], required: &[&str]) -> Arc<JsonObject> {
    let mut props = Map::new();
    for (name, property) in properties {
        props.insert((*name).to_string(), property.clone());
    }
    let object = json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    });
    Arc::new(object.as_object().cloned().unwrap_or_default())
}

fn month_property(what: &str) -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "description": what})
}

fn level_property() -> Value {
    json!({"type": "string", "description": "A mapping column to group by (e.g. department, division); default cost_center"})
}

/// Every tool allot answers with, read-only.
pub fn tools() -> Vec<Tool> {
    let read_only =
        ToolAnnotations::from_raw(None, Some(true), Some(false), Some(true), Some(false));
    let tool = |name: &'static str, description: &'static str, input: Arc<JsonObject>| {
        Tool::new(name, description, input).with_annotations(read_only.clone())
    };
    vec![
        tool(
            "chargeback",
            "The month's cost per cost center (or any mapping column with `level`), exact to the cent, with its status (settled, provisional or incomplete).",
            schema(
                &[
                    ("month", month_property("The month, YYYY-MM")),
                    ("level", level_property()),
                ],
                &["month"],
            ),
        ),
        tool(
            "top_spenders",
            "The month's largest spenders (people, API keys, service accounts...) with their cost center, share, product and model mix and change against the month before.",
            schema(
                &[
                    ("month", month_property("The month, YYYY-MM")),
                    ("n", json!({"type": "integer", "minimum": 1, "maximum": 1000, "description": "How many (default 15)"})),
                ],
                &["month"],
            ),
        ),
        tool(
            "trend",
            "Cost per day, ISO week or month over a range, per cost center (or mapping column, product, model or context_window with `level`), each period compared like with like.",
            schema(
                &[
                    ("from", json!({"type": "string", "description": "First day, YYYY-MM-DD (or YYYY-MM for its first day)"})),
                    ("to", json!({"type": "string", "description": "Last day, YYYY-MM-DD (or YYYY-MM for its last day)"})),
                    ("per", json!({"type": "string", "enum": ["day", "week", "month"], "description": "Period length (default month)"})),
                    ("level", level_property()),
                ],
                &["from", "to"],
            ),
        ),
        tool(
            "explain",
            "Why each cost center's cost changed from one month (or any days) to another, split exactly into drivers (joined, left, moved_in, moved_out, volume, model_mix, rate, other_spenders, partial_period) with the people behind each.",
            schema(
                &[
                    ("month", month_property("The month whose change is explained, YYYY-MM (or `from` and `to`)")),
                    ("against", month_property("The month to compare with (default the period before: the month before `month`)")),
                    ("from", json!({"type": "string", "description": "First day of the period explained, instead of `month` (YYYY-MM-DD, or YYYY-MM for its first day)"})),
                    ("to", json!({"type": "string", "description": "Last day of the period explained, inclusive (YYYY-MM-DD, or YYYY-MM for its last day)"})),
                    ("against_from", json!({"type": "string", "description": "First day of the period compared with; the same kind as the one explained (as many whole months, or as many days)"})),
                    ("against_to", json!({"type": "string", "description": "Last day of the period compared with, inclusive"})),
                    ("level", level_property()),
                    ("cost_center", json!({"type": "string", "description": "Only this cost center (or value of `level`)"})),
                ],
                &[],
            ),
        ),
        tool(
            "alerts",
            "The alerts over the recent days: sustained increases, spikes, new heavy spenders, long context, model shifts and budgets.",
            schema(&[], &[]),
        ),
        tool(
            "forecast",
            "Where each cost center (or budget level) will land at the month's end, with a low and a high bound, against budgets.",
            schema(
                &[
                    ("month", month_property("The month, YYYY-MM (default the as-of date's)")),
                    ("level", level_property()),
                ],
                &[],
            ),
        ),
        tool(
            "adoption",
            "The month's adoption scorecard: headcount against active users per team and surface, and cost per active user.",
            schema(
                &[
                    ("month", month_property("The month, YYYY-MM")),
                    ("level", level_property()),
                ],
                &["month"],
            ),
        ),
        tool(
            "reconcile",
            "The invoice against the API's cost per month and product: match, variance or not yet settled (needs `allot mcp --invoice FILE`).",
            schema(&[], &[]),
        ),
    ]
}

/// A tool's arguments, read with errors that say what to give.
struct Args<'a> {
    tool: &'a str,
    map: JsonObject,
}

impl Args<'_> {
    fn text(&self, name: &str) -> Result<Option<String>, ErrorData> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(bad(format!(
                "{}: `{name}` must be a string, not {other}",
                self.tool
            ))),
        }
    }

    fn month(&self, name: &str) -> Result<Option<Month>, ErrorData> {
        self.text(name)?
            .map(|s| {
                s.parse::<Month>().map_err(|e| {
                    bad(format!(
                        "{}: `{name}` `{s}` is not a month ({e}); give YYYY-MM, e.g. 2026-10",
                        self.tool
                    ))
                })
            })
            .transpose()
    }

    fn required_month(&self, name: &str) -> Result<Month, ErrorData> {
        self.month(name)?.ok_or_else(|| {
            bad(format!(
                "{}: `{name}` is required (YYYY-MM, e.g. 2026-10)",
                self.tool
            ))
        })
    }

    fn range(&self, name: &str) -> Result<DateRange, ErrorData> {
        let text = self.text(name)?.ok_or_else(|| {
            bad(format!(
                "{}: `{name}` is required (YYYY-MM-DD or YYYY-MM)",
                self.tool
            ))
        })?;
        text.parse::<DateRange>().map_err(|e| {
            bad(format!(
                "{}: `{name}` `{text}` is not a day or a month ({e}); give YYYY-MM-DD or YYYY-MM",
                self.tool
            ))
        })
    }

    /// The days from `from`'s first to `to`'s last, when both are given (each a day or a month).
    fn span(&self, from: &str, to: &str) -> Result<Option<DateRange>, ErrorData> {
        match (self.map.contains_key(from), self.map.contains_key(to)) {
            (false, false) => Ok(None),
            (true, true) => {
                let (first, last) = (self.range(from)?.from, self.range(to)?.to);
                DateRange::new(first, last).map(Some).ok_or_else(|| {
                    bad(format!(
                        "{}: `{from}` {first} is after `{to}` {last}",
                        self.tool
                    ))
                })
            }
            (true, false) | (false, true) => Err(bad(format!(
                "{}: give `{from}` and `{to}` together (YYYY-MM-DD or YYYY-MM)",
                self.tool
            ))),
        }
    }

    /// A month (`month_name`) or days (`from`/`to`), one of them.
    fn period(
        &self,
        month_name: &str,
        (from, to): (&str, &str),
    ) -> Result<Option<DateRange>, ErrorData> {
        match (self.month(month_name)?, self.span(from, to)?) {
            (Some(_), Some(_)) => Err(bad(format!(
                "{}: give `{month_name}` or `{from}`/`{to}`, not both",
                self.tool
            ))),
            (Some(month), None) => Ok(Some(DateRange::month(month))),
            (None, days) => Ok(days),
        }
    }

    fn count(&self, name: &str) -> Result<Option<usize>, ErrorData> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_u64().filter(|n| (1..=1000).contains(n)) {
                Some(n) => Ok(usize::try_from(n).ok()),
                None => Err(bad(format!(
                    "{}: `{name}` must be a whole number from 1 to 1000, not {n}",
                    self.tool
                ))),
            },
            Some(other) => Err(bad(format!(
                "{}: `{name}` must be a number, not {other}",
                self.tool
            ))),
        }
    }

    /// Refuses arguments the tool does not take (a misspelt one would be silently ignored).
    fn only(&self, known: &[&str]) -> Result<(), ErrorData> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(bad(format!(
                "{}: no argument `{unknown}` (it takes: {})",
                self.tool,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))),
            None => Ok(()),
        }
    }
}

fn bad(message: String) -> ErrorData {
    ErrorData::invalid_params(message, None)
}

/// A report as the answer's structured content: its rows under the CSV's column names (the
/// rows `NAME.csv` holds), its total line apart, its status word, title, notes and key facts.
pub fn answer(tool: &str, report: &Report) -> Value {
    let object = |row: &Vec<allot_report::Cell>| -> Value {
        let mut object = Map::new();
        for (column, cell) in report.columns.iter().zip(row) {
            object.insert(column.name.clone(), Value::String(cell.to_plain()));
        }
        Value::Object(object)
    };
    let meta: Map<String, Value> = report
        .meta
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "tool": tool,
        "title": report.title,
        "status": report.status.as_str(),
        "rows": report.rows.iter().map(object).collect::<Vec<_>>(),
        "total": report.total.as_ref().map(object),
        "notes": report.notes.iter().map(|n| n.text.clone()).collect::<Vec<_>>(),
        "meta": meta,
    })
}

impl Server {
    /// A server answering from `context`.
    pub fn new(context: Context) -> Server {
        Server {
            context: Arc::new(context),
        }
    }

    /// Answers one call (blocking: it reads the store).
    pub fn call(&self, name: &str, arguments: JsonObject) -> Result<CallToolResult, ErrorData> {
        let args = Args {
            tool: name,
            map: arguments,
        };
        let context = &self.context;
        let common = |level: Option<String>| ReportOptions {
            by: level,
            policy: context.policy.clone(),
        };
        // Arguments are checked before the store is opened: a bad one is the caller's to fix.
        let report: Result<Report, AppError> = match name {
            "chargeback" => {
                args.only(&["month", "level"])?;
                let month = args.required_month("month")?;
                let level = args.text("level")?;
                self.open().and_then(|ws| {
                    let out = ws.chargeback(
                        month,
                        &ChargebackOptions {
                            common: common(level),
                            ..ChargebackOptions::default()
                        },
                    )?;
                    Ok(out.reports[0].report.clone())
                })
            }
            "top_spenders" => {
                args.only(&["month", "n"])?;
                let month = args.required_month("month")?;
                let n = args.count("n")?.unwrap_or(allot_app::TOP_N);
                self.open().and_then(|ws| {
                    let period = ws.month_period(
                        month,
                        MonthReads {
                            reviews: true,
                            previous: true,
                            focus: false,
                        },
                    )?;
                    Ok(period.reviews(&common(None))?.top(n).report)
                })
            }
            "trend" => {
                args.only(&["from", "to", "per", "level"])?;
                let range = args.span("from", "to")?.ok_or_else(|| {
                    bad("trend: `from` and `to` are required (YYYY-MM-DD or YYYY-MM)".into())
                })?;
                let per = match args.text("per")? {
                    None => Per::Month,
                    Some(p) => p
                        .parse::<Per>()
                        .map_err(|e| bad(format!("trend: `per` {e}")))?,
                };
                let level = args.text("level")?;
                self.open().and_then(|ws| {
                    let out = ws.trend(
                        range,
                        &TrendOptions {
                            per,
                            by: level,
                            policy: context.policy.clone(),
                        },
                    )?;
                    Ok(out.reports[0].report.clone())
                })
            }
            "explain" => {
                args.only(&[
                    "month",
                    "against",
                    "from",
                    "to",
                    "against_from",
                    "against_to",
                    "level",
                    "cost_center",
                ])?;
                let period = args.period("month", ("from", "to"))?.ok_or_else(|| {
                    bad("explain: give `month` (YYYY-MM), or `from` and `to` (YYYY-MM-DD)".into())
                })?;
                let against = args.period("against", ("against_from", "against_to"))?;
                let (level, line) = (args.text("level")?, args.text("cost_center")?);
                self.open().and_then(|ws| {
                    let run = ws.explain(&ExplainOptions {
                        period,
                        against,
                        common: common(level),
                        line,
                    })?;
                    Ok(run.output.reports[1].report.clone())
                })
            }
            "alerts" => {
                args.only(&[])?;
                self.open()
                    .and_then(|ws| Ok(ws.alerts(&context.watch)?.output.reports[0].report.clone()))
            }
            "forecast" => {
                args.only(&["month", "level"])?;
                let month = args.month("month")?;
                let level = args.text("level")?;
                self.open().and_then(|ws| {
                    let month =
                        month.unwrap_or_else(|| Month::of(ws.as_of.pred_opt().unwrap_or(ws.as_of)));
                    let out = ws.forecast(month, level.as_deref(), &context.watch)?;
                    Ok(out.reports[0].report.clone())
                })
            }
            "adoption" => {
                args.only(&["month", "level"])?;
                let month = args.required_month("month")?;
                let level = args.text("level")?;
                self.open().and_then(|ws| {
                    let out = ws.adoption(
                        month,
                        &AdoptionOptions {
                            by: level,
                            policy: context.policy.clone(),
                            ..AdoptionOptions::default()
                        },
                    )?;
                    Ok(out.reports[0].report.clone())
                })
            }
            "reconcile" => {
                args.only(&[])?;
                let Some(invoice) = &context.invoice else {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(
                        "reconcile: no invoice was given: start the server with `allot mcp --invoice FILE` (the invoice's lines: month, product, amount)",
                    )]));
                };
                self.open().and_then(|ws| {
                    let rec = allot_app::reconcile::run(&ws.sources, invoice, ws.as_of)?;
                    Ok(rec.output.reports[0].report.clone())
                })
            }
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "no tool `{other}`: the tools are {}",
                        tools()
                            .iter()
                            .map(|t| t.name.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                ))
            }
        };
        Ok(match report {
            Ok(report) => {
                let report = match &context.pseudonyms {
                    Some(p) => p.report(&report),
                    None => report,
                };
                CallToolResult::structured(answer(name, &report))
            }
            // What stopped the run (no data for the month, a bad mapping...) is said to the
            // caller, who can ask again; the server keeps serving.
            Err(e) => {
                let text = e.to_string();
                let text = match &context.pseudonyms {
                    Some(p) => p.text(&text),
                    None => text,
                };
                CallToolResult::error(vec![ContentBlock::text(format!("{name}: {text}"))])
            }
        })
    }

    fn open(&self) -> Result<Workspace, AppError> {
        (self.context.open)()
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("allot", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "allot answers who in the organisation drives the Claude bill: chargeback per cost center, top spenders, trend, why a cost changed (explain), alerts, forecast, adoption and the invoice's reconciliation. Amounts are dollars to the cent as text; every answer carries a status: settled (final), provisional (Anthropic may still revise it, less than 30 days old) or incomplete (days missing).",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let server = self.clone();
        let name: Cow<'static, str> = request.name;
        let arguments = request.arguments.unwrap_or_default();
        // Loading a period is blocking work: it runs beside the protocol's tasks.
        tokio::task::spawn_blocking(move || server.call(&name, arguments))
            .await
            .map_err(|e| ErrorData::internal_error(format!("the tool stopped: {e}"), None))?
            .map(CallToolResponse::from)
    }
}

/// Serves the tools on stdin and stdout until the client closes them.
pub fn serve_stdio(context: Context) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let running = Server::new(context)
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        running
            .waiting()
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(())
    })
}
