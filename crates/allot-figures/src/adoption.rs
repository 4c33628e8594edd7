//! The adoption scorecard's figures: seats against active users per team and surface, the
//! organisation's engagement summary, and the idle seats a licence owner can reclaim.

use allot_core::money::div_round_half_away;
use chrono::NaiveDate;

/// The surfaces adoption is counted on, in column order.
pub const SURFACES: [&str; 4] = ["chat", "claude_code", "cowork", "office"];

/// One team's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionLine {
    /// The cost center or level value (`UNMAPPED` for cost no row covers).
    pub key: String,
    /// The cost center's attribute values (cost-center level only).
    pub attributes: Vec<String>,
    /// People whose mapping row is valid on the headcount day.
    pub headcount: u64,
    /// Of those, people with any cost or activity in the month.
    pub active: u64,
    /// Active users per surface, in [`SURFACES`] order.
    pub surfaces: [u64; 4],
    /// The team's cents of the month (the chargeback's).
    pub cents: i64,
    /// The part of them spent by people (not API keys, service accounts or other actors):
    /// what cost per active user divides.
    pub people_cents: i64,
    /// Active users the month before, when that month is in the data.
    pub previous_active: Option<u64>,
}

impl AdoptionLine {
    /// Active users over headcount, in hundredths of a percent (None: no headcount).
    pub fn utilization_bp(&self) -> Option<i64> {
        (self.headcount != 0).then(|| {
            div_round_half_away(i128::from(self.active) * 10_000, i128::from(self.headcount)) as i64
        })
    }

    /// People's cents per active user (None: nobody active).
    pub fn cost_per_active_cents(&self) -> Option<i64> {
        (self.active != 0).then(|| {
            div_round_half_away(i128::from(self.people_cents), i128::from(self.active)) as i64
        })
    }

    /// Active users against the month before (None: that month is not in the data).
    pub fn active_change(&self) -> Option<i64> {
        self.previous_active.map(|p| self.active as i64 - p as i64)
    }

    /// The organisation's line (`TOTAL`): every line summed; the month before only when every
    /// line has it.
    pub fn total(lines: &[AdoptionLine]) -> AdoptionLine {
        let mut total = AdoptionLine {
            key: "TOTAL".into(),
            attributes: Vec::new(),
            headcount: 0,
            active: 0,
            surfaces: [0; 4],
            cents: 0,
            people_cents: 0,
            previous_active: Some(0),
        };
        for l in lines {
            total.headcount += l.headcount;
            total.active += l.active;
            for (t, s) in total.surfaces.iter_mut().zip(l.surfaces) {
                *t += s;
            }
            total.cents += l.cents;
            total.people_cents += l.people_cents;
            total.previous_active = match (total.previous_active, l.previous_active) {
                (Some(t), Some(p)) => Some(t + p),
                _ => None,
            };
        }
        total
    }
}

/// A seat nobody used in the window looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleSeat {
    /// Normalised email.
    pub email: String,
    /// Their cost center on the headcount day.
    pub cost_center: String,
    /// Their last day with cost or activity in the data looked at.
    pub last_active: Option<NaiveDate>,
    /// Days from it to the end of the window.
    pub days_inactive: Option<i64>,
}

/// One engagement figure of the organisation, in hundredths (averages and percentages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFigure {
    /// The figure's name (`avg_daily_active_users`, `assigned_seats`, `utilization_pct`...).
    pub metric: String,
    /// This month, in hundredths.
    pub value: Option<i64>,
    /// The month before, in hundredths.
    pub previous: Option<i64>,
}

impl OrgFigure {
    /// This month less the month before, in hundredths, when both are known.
    pub fn change(&self) -> Option<i64> {
        self.value.zip(self.previous).map(|(a, b)| a - b)
    }
}
