//! Why a dashboard could not be read.

use std::fmt;

/// One problem in a dashboard, at a JSON path such as `panels[3].targets[0].expr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, as a JSON path from the dashboard object (inside the export
    /// wrapper, if there is one, the path starts with `dashboard.`).
    pub path: String,
    /// What is wrong, in lowercase.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why [`Dashboard::from_json`](crate::Dashboard::from_json) failed.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The text is not JSON.
    #[error("failed to read dashboard: not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not a dashboard Grafana could load; every problem found is listed.
    #[error("failed to read dashboard: {}", list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    let items: Vec<String> = problems.iter().map(Problem::to_string).collect();
    items.join("; ")
}
