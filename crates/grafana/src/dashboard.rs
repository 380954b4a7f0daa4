//! The dashboard model: panels, their targets, and how they are read.

use serde_json::{Map, Value};

use crate::error::DashboardError;
use crate::json::{Reader, join, type_name};
use crate::variables::{Variable, VariableKind, read_variables};

/// A Grafana dashboard, reduced to what replay and the stage dashboard need.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// `uid`, if set.
    pub uid: Option<String>,
    /// `title` (`$__dashboard` expands to it).
    pub title: String,
    /// `schemaVersion`; below 16 the panels came from legacy `rows`.
    pub schema_version: Option<i64>,
    /// Every panel in reading order: top-level panels, each row panel followed
    /// by the panels it holds when collapsed, or legacy `rows[].panels`.
    pub panels: Vec<Panel>,
    /// `templating.list`, in order.
    pub variables: Vec<Variable>,
    /// Things read but not acted on (ad hoc filters, repeated panels, ...).
    pub notes: Vec<String>,
}

/// A panel, with the metadata a renderer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// JSON path, e.g. `panels[2].panels[0]` or `rows[1].panels[0]`.
    pub path: String,
    /// `id`.
    pub id: Option<i64>,
    /// `title` (empty when missing).
    pub title: String,
    /// `type`: `timeseries`, `stat`, `row`, ... (empty when missing).
    pub kind: String,
    /// `description`.
    pub description: Option<String>,
    /// `gridPos`; for legacy rows, computed from `span` and the row height.
    pub grid_pos: Option<GridPos>,
    /// `fieldConfig.defaults.unit` (or legacy `yaxes[0].format`).
    pub unit: Option<String>,
    /// `datasource` of the panel.
    pub datasource: Option<DatasourceRef>,
    /// `interval`: the panel's "Min interval" (may contain variables).
    pub min_interval: Option<String>,
    /// `maxDataPoints`.
    pub max_data_points: Option<i64>,
    /// Title of the row this panel sits in, if any.
    pub row: Option<String>,
    /// For row panels: `collapsed`.
    pub collapsed: Option<bool>,
    /// `repeat`: the variable this panel is repeated for (not expanded here).
    pub repeat: Option<String>,
    /// `targets`, including those [`Target::skip`] says are not run.
    pub targets: Vec<Target>,
}

/// A panel's position on Grafana's 24-column grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridPos {
    /// Column of the left edge, 0 to 23.
    pub x: i64,
    /// Row of the top edge, in grid rows from the top of the dashboard.
    pub y: i64,
    /// Width in columns, 1 to 24.
    pub w: i64,
    /// Height in grid rows (one row is 30 px in Grafana).
    pub h: i64,
}

/// A data source reference: `{ "type": ..., "uid": ... }`, or a legacy name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatasourceRef {
    /// `uid` (may be a variable such as `${datasource}`).
    pub uid: Option<String>,
    /// `type`, the plugin id (`prometheus`, `loki`, ...).
    pub kind: Option<String>,
    /// A legacy string reference: a data source name or a variable.
    pub name: Option<String>,
}

/// One query of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// JSON path, e.g. `panels[3].targets[0]`.
    pub path: String,
    /// `refId` (empty when missing).
    pub ref_id: String,
    /// `expr` as written, variables unsubstituted.
    pub expr: Option<String>,
    /// `legendFormat`.
    pub legend_format: Option<String>,
    /// `instant`.
    pub instant: bool,
    /// `range`; Grafana runs a range query when neither is set.
    pub range: bool,
    /// `hide`.
    pub hide: bool,
    /// `interval`: the query's "Min step" (may contain variables).
    pub interval: Option<String>,
    /// `intervalFactor` (legacy "Resolution 1/n").
    pub interval_factor: Option<i64>,
    /// The target's own `datasource`, else the panel's.
    pub datasource: Option<DatasourceRef>,
    /// Why this target is not a Prometheus query to run, if it is not.
    pub skip: Option<SkipReason>,
}

/// Why a target is left out of [`Dashboard::queries`](crate::Dashboard::queries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// `hide: true`: Grafana does not run it.
    Hidden,
    /// Its data source is not Prometheus (the plugin id or the special
    /// `-- Grafana --`/`-- Dashboard --`/`-- Mixed --` source).
    NotPrometheus(String),
    /// No `expr`, or an empty one.
    NoExpr,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Hidden => write!(f, "hidden (hide: true)"),
            SkipReason::NotPrometheus(ds) => write!(f, "data source {ds} is not Prometheus"),
            SkipReason::NoExpr => write!(f, "no expr"),
        }
    }
}

impl Dashboard {
    /// Reads a dashboard from its JSON: a bare dashboard, or the
    /// `{ "dashboard": {...}, "meta": {...} }` wrapper of Grafana's HTTP API
    /// and of "Export for sharing externally" files.
    ///
    /// Fails on text that is not JSON, and on JSON where a field this crate
    /// uses has the wrong type or where there are neither `panels` nor legacy
    /// `rows`; the error lists every such problem with its JSON path.
    pub fn from_json(text: &str) -> Result<Dashboard, DashboardError> {
        let value: Value = serde_json::from_str(text)?;
        let mut r = Reader::default();
        let Value::Object(top) = &value else {
            r.problem(
                "",
                format!("expected a dashboard object, found {}", type_name(&value)),
            );
            return Err(DashboardError::Invalid(r.problems));
        };
        let (obj, base) = match top.get("dashboard") {
            Some(Value::Object(inner)) if !top.contains_key("panels") => (inner, "dashboard"),
            _ => (top, ""),
        };
        let dashboard = read_dashboard(&mut r, obj, base);
        if r.problems.is_empty() {
            Ok(dashboard)
        } else {
            Err(DashboardError::Invalid(r.problems))
        }
    }

    /// Every target that is not run, with its panel and the reason.
    pub fn skipped_targets(&self) -> impl Iterator<Item = (&Panel, &Target, &SkipReason)> {
        self.panels.iter().flat_map(|p| {
            p.targets
                .iter()
                .filter_map(move |t| t.skip.as_ref().map(|s| (p, t, s)))
        })
    }

    /// The variable called `name`.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

fn read_dashboard(r: &mut Reader, obj: &Map<String, Value>, base: &str) -> Dashboard {
    let mut notes = Vec::new();
    let variables = match r.object(obj, "templating", base) {
        Some(t) => {
            let path = join(base, "templating");
            match r.array(t, "list", &path) {
                Some(list) => read_variables(r, list, &join(&path, "list"), &mut notes),
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let mut d = Dashboard {
        uid: r.string(obj, "uid", base),
        title: r.string(obj, "title", base).unwrap_or_default(),
        schema_version: r.int(obj, "schemaVersion", base),
        panels: Vec::new(),
        variables,
        notes,
    };
    let has_panels = obj.get("panels").is_some_and(|v| !v.is_null());
    let has_rows = obj.get("rows").is_some_and(|v| !v.is_null());
    if !has_panels && !has_rows {
        r.problem(
            base,
            "no `panels` (nor legacy `rows`): is this a Grafana dashboard? \
             An API export has the dashboard under `dashboard`",
        );
    }
    if let Some(panels) = r.array(obj, "panels", base) {
        let path = join(base, "panels");
        for (ppath, p) in r.objects(panels, &path) {
            let panel = read_panel(r, p, &ppath, None, &d.variables);
            let nested = (panel.kind == "row")
                .then(|| r.array(p, "panels", &ppath))
                .flatten();
            let row_title = panel.title.clone();
            d.panels.push(panel);
            if let Some(nested) = nested {
                let npath = join(&ppath, "panels");
                for (cpath, c) in r.objects(nested, &npath) {
                    let child = read_panel(r, c, &cpath, Some(&row_title), &d.variables);
                    d.panels.push(child);
                }
            }
        }
    }
    if let Some(rows) = r.array(obj, "rows", base) {
        read_legacy_rows(r, rows, &join(base, "rows"), &mut d);
    }
    for p in &d.panels {
        if let Some(var) = &p.repeat {
            d.notes.push(format!(
                "{}: panel {:?} repeats for ${var}; repeats are not expanded, \
                 its queries use the variable's current value",
                p.path, p.title
            ));
        }
    }
    d
}

/// Grafana's `upgradeToGridLayout` (schema 16), simplified: panels fill each
/// row left to right (width `span × 2`, default span 4), wrapping at 24
/// columns; heights come from `height` in pixels, `ceil(px / 38)` grid units
/// (minimum 90 px, row default 250 px). Grafana's gap-filling is not copied.
fn read_legacy_rows(r: &mut Reader, rows: &[Value], path: &str, d: &mut Dashboard) {
    fn grid_height(px: Option<f64>) -> i64 {
        let px = px.unwrap_or(250.0).max(90.0);
        (px / 38.0).ceil() as i64
    }
    fn height_px(v: Option<&Value>) -> Option<f64> {
        match v? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim_end_matches("px").trim().parse().ok(),
            _ => None,
        }
    }
    let objects = r.objects(rows, path);
    let show_rows = objects.iter().any(|(_, row)| {
        ["collapse", "showTitle"]
            .iter()
            .any(|k| row.get(*k).and_then(Value::as_bool).unwrap_or(false))
            || row.get("repeat").is_some_and(|v| !v.is_null())
    });
    let mut y = 0;
    for (rpath, row) in objects {
        let row_h = grid_height(height_px(row.get("height")));
        let title = r.string(row, "title", &rpath).unwrap_or_default();
        if show_rows {
            d.panels.push(Panel {
                path: rpath.clone(),
                id: None,
                title: title.clone(),
                kind: "row".to_string(),
                description: None,
                grid_pos: Some(GridPos {
                    x: 0,
                    y,
                    w: 24,
                    h: 1,
                }),
                unit: None,
                datasource: None,
                min_interval: None,
                max_data_points: None,
                row: None,
                collapsed: r.bool(row, "collapse", &rpath),
                repeat: r.string(row, "repeat", &rpath),
                targets: Vec::new(),
            });
            y = y.saturating_add(1);
        }
        let (mut x, mut line_y, mut line_h) = (0, y, row_h);
        if let Some(panels) = r.array(row, "panels", &rpath) {
            let ppath = join(&rpath, "panels");
            for (cpath, c) in r.objects(panels, &ppath) {
                let mut panel = read_panel(r, c, &cpath, show_rows.then_some(&title), &d.variables);
                let span = c.get("span").and_then(Value::as_f64).unwrap_or(4.0);
                let w = (span.floor() as i64).saturating_mul(2).clamp(1, 24);
                let h = c
                    .get("height")
                    .map(|v| grid_height(height_px(Some(v))))
                    .unwrap_or(row_h);
                if x + w > 24 {
                    x = 0;
                    line_y = line_y.saturating_add(line_h);
                    line_h = h;
                } else {
                    line_h = line_h.max(h);
                }
                panel.grid_pos.get_or_insert(GridPos { x, y: line_y, w, h });
                x += w;
                d.panels.push(panel);
            }
        }
        y = y.saturating_add(row_h).max(line_y.saturating_add(line_h));
    }
}

fn read_panel(
    r: &mut Reader,
    p: &Map<String, Value>,
    path: &str,
    row: Option<&String>,
    variables: &[Variable],
) -> Panel {
    let grid_pos = r.object(p, "gridPos", path).map(|g| {
        let gpath = join(path, "gridPos");
        GridPos {
            x: r.int(g, "x", &gpath).unwrap_or(0),
            y: r.int(g, "y", &gpath).unwrap_or(0),
            w: r.int(g, "w", &gpath).unwrap_or(0),
            h: r.int(g, "h", &gpath).unwrap_or(0),
        }
    });
    let unit = match r.object(p, "fieldConfig", path) {
        Some(fc) => {
            let fpath = join(path, "fieldConfig");
            r.object(fc, "defaults", &fpath)
                .and_then(|d| r.string(d, "unit", &join(&fpath, "defaults")))
        }
        None => p
            .get("yaxes")
            .and_then(|y| y.get(0))
            .and_then(|y| y.get("format"))
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let datasource = read_datasource(r, p, path);
    let mut panel = Panel {
        path: path.to_string(),
        id: r.int(p, "id", path),
        title: r.string(p, "title", path).unwrap_or_default(),
        kind: r.string(p, "type", path).unwrap_or_default(),
        description: r.string(p, "description", path),
        grid_pos,
        unit,
        datasource: datasource.clone(),
        min_interval: r
            .string_or_number(p, "interval", path)
            .filter(|s| !s.is_empty()),
        max_data_points: r.int(p, "maxDataPoints", path),
        row: row.cloned(),
        collapsed: r.bool(p, "collapsed", path),
        repeat: r.string(p, "repeat", path).filter(|s| !s.is_empty()),
        targets: Vec::new(),
    };
    if let Some(targets) = r.array(p, "targets", path) {
        let tpath = join(path, "targets");
        for (one_path, t) in r.objects(targets, &tpath) {
            let target = read_target(r, t, &one_path, datasource.as_ref(), variables);
            panel.targets.push(target);
        }
    }
    panel
}

fn read_target(
    r: &mut Reader,
    t: &Map<String, Value>,
    path: &str,
    panel_ds: Option<&DatasourceRef>,
    variables: &[Variable],
) -> Target {
    let own_ds = read_datasource(r, t, path);
    // A target inherits the panel's data source, except under "-- Mixed --",
    // where a target without one uses the default data source.
    let datasource = own_ds.or_else(|| panel_ds.filter(|d| !is_mixed(d)).cloned());
    let mut target = Target {
        path: path.to_string(),
        ref_id: r.string(t, "refId", path).unwrap_or_default(),
        expr: r.string(t, "expr", path),
        legend_format: r.string(t, "legendFormat", path),
        instant: r.bool(t, "instant", path).unwrap_or(false),
        range: r.bool(t, "range", path).unwrap_or(false),
        hide: r.bool(t, "hide", path).unwrap_or(false),
        interval: r
            .string_or_number(t, "interval", path)
            .filter(|s| !s.is_empty()),
        interval_factor: r.int(t, "intervalFactor", path),
        datasource,
        skip: None,
    };
    target.skip = if target.hide {
        Some(SkipReason::Hidden)
    } else if let Some(other) = non_prometheus(target.datasource.as_ref(), variables) {
        Some(SkipReason::NotPrometheus(other))
    } else if target.expr.as_deref().is_none_or(|e| e.trim().is_empty()) {
        Some(SkipReason::NoExpr)
    } else {
        None
    };
    target
}

fn read_datasource(r: &mut Reader, obj: &Map<String, Value>, path: &str) -> Option<DatasourceRef> {
    match obj.get("datasource")? {
        Value::Null => None,
        Value::String(name) => Some(DatasourceRef {
            name: Some(name.clone()),
            ..DatasourceRef::default()
        }),
        Value::Object(o) => {
            let dpath = join(path, "datasource");
            Some(DatasourceRef {
                uid: r.string(o, "uid", &dpath),
                kind: r.string(o, "type", &dpath),
                name: None,
            })
        }
        other => {
            r.problem(
                join(path, "datasource"),
                format!("expected an object or a string, found {}", type_name(other)),
            );
            None
        }
    }
}

fn is_mixed(d: &DatasourceRef) -> bool {
    d.uid.as_deref() == Some("-- Mixed --") || d.name.as_deref() == Some("-- Mixed --")
}

/// `Some(description)` when the reference is known not to be Prometheus.
///
/// The plugin id decides when it is there (`prometheus`, or any id containing
/// `prometheus`, e.g. Amazon Managed Prometheus). A variable reference
/// (`${ds}`, `$ds`) is resolved through the data source variable's `query`,
/// which is the plugin id. A missing reference means the default data
/// source, and a bare name cannot be resolved without the Grafana instance:
/// both are taken to be Prometheus.
fn non_prometheus(ds: Option<&DatasourceRef>, variables: &[Variable]) -> Option<String> {
    let ds = ds?;
    let text = ds.uid.as_deref().or(ds.name.as_deref()).unwrap_or("");
    for special in ["-- Grafana --", "-- Dashboard --", "-- Mixed --", "grafana"] {
        if text == special {
            return Some(special.to_string());
        }
    }
    let kind = ds.kind.clone().or_else(|| {
        let name = crate::template::sole_variable_name(text)?;
        variables
            .iter()
            .find(|v| v.name == name && v.kind == VariableKind::Datasource)
            .and_then(|v| v.query.clone())
    })?;
    if kind.contains("prometheus") {
        None
    } else {
        Some(format!("{text:?} of type {kind:?}"))
    }
}
