//! FOCUS 1.2 (the FinOps Foundation's open billing format): one row per day, person and cost
//! component, so Claude spend sits beside cloud spend. The cost center and person travel in
//! `x_` columns and in `Tags`. Checked with the Foundation's validator (`tests/focus-validate.sh`).

use std::collections::BTreeMap;
use std::io::Write;

use allot_core::results::FocusFact;
use allot_core::settle::day_status;
use allot_core::{Month, Status};
use chrono::NaiveDate;

/// FOCUS columns written, in order.
pub const COLUMNS: [&str; 52] = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
    "x_CostCenter",
    "x_Email",
    "x_ContextWindow",
    "x_Settled",
];

fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

/// Who issues the invoice of a product (and provides it): Anthropic, or the cloud Claude was
/// bought through.
fn issuer(product: &str) -> &str {
    match product {
        "bedrock" => "Amazon Web Services",
        "vertex" => "Google Cloud",
        _ => "Anthropic",
    }
}

/// The FOCUS `ResourceType` of an identity: the person, or the kind of actor.
fn resource_type(identity: &str) -> &'static str {
    use allot_core::identity::Kind;
    match allot_core::identity::kind(identity) {
        Kind::Person => "User",
        Kind::ApiKey => "API Key",
        Kind::Workspace => "Workspace",
        Kind::ServiceAccount => "Service Account",
        Kind::Federated => "Federated Identity",
        Kind::Principal => "Cloud Principal",
        Kind::Account => "Cloud Account",
        Kind::CostCenter => "Cost Center",
        Kind::Unattributed => "Organization",
        Kind::Other => "Actor",
    }
}

fn service(product: &str) -> &str {
    match product {
        "bedrock" => "Amazon Bedrock",
        "vertex" => "Vertex AI",
        "claude_code" => "Claude Code",
        "chat" | "" => "Claude",
        "cowork" => "Cowork",
        "office_agent" => "Claude for Office",
        "claude_in_chrome" => "Claude in Chrome",
        "claude_design" => "Claude Design",
        "claude-in-slack" | "claude_in_slack" => "Claude in Slack",
        other => other,
    }
}

/// Writes the facts as a FOCUS 1.2 CSV. `attributes` gives each cost center's mapping
/// attributes for `Tags`; `account` names the Anthropic organisation.
pub fn write(
    facts: &[FocusFact],
    month: Month,
    as_of: NaiveDate,
    account: &str,
    attributes: &BTreeMap<String, Vec<(String, String)>>,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    let period_start = ts(month.first_day());
    let period_end = ts(month.next().first_day());
    for f in facts {
        let cost = f.cost.to_decimal().to_string();
        let list = f.list_cost.unwrap_or(f.cost).to_decimal().to_string();
        // Tokens are priced per million (PricingQuantity 0.001464 of "1000000 Tokens");
        // requests one by one. Both as decimals, as FOCUS requires.
        let (pricing_quantity, unit, consumed_unit) =
            if f.cost_type == "tokens" || f.cost_type.is_empty() {
                (
                    rust_decimal::Decimal::new(f.tokens, 6).to_string(),
                    "1000000 Tokens",
                    "Tokens",
                )
            } else {
                (format!("{}.0", f.tokens), "Requests", "Requests")
            };
        let mut tags: BTreeMap<String, String> = BTreeMap::new();
        tags.insert("cost_center".into(), f.cost_center.clone());
        for (k, v) in attributes.get(&f.cost_center).into_iter().flatten() {
            tags.insert(k.clone(), v.clone());
        }
        let tags = serde_json::to_string(&tags).map_err(std::io::Error::other)?;
        let settled = day_status(f.date, as_of) == Status::Settled;
        let description = if f.token_type.is_empty() {
            format!("{} {}", f.model, f.cost_type)
        } else {
            format!("{} {} ({})", f.model, f.token_type, f.context_window)
        };
        let sku = if f.token_type.is_empty() {
            f.cost_type.clone()
        } else {
            f.token_type.clone()
        };
        let resource = if f.user_id.is_empty() {
            f.email.clone()
        } else {
            f.user_id.clone()
        };
        let row: Vec<String> = vec![
            String::new(),                                     // AvailabilityZone
            cost.clone(),                                      // BilledCost
            account.to_string(),                               // BillingAccountId
            format!("Anthropic organization {account}"),       // BillingAccountName
            "Organization".into(),                             // BillingAccountType
            "USD".into(),                                      // BillingCurrency
            period_end.clone(),                                // BillingPeriodEnd
            period_start.clone(),                              // BillingPeriodStart
            "Usage".into(),                                    // ChargeCategory
            String::new(),                                     // ChargeClass
            description,                                       // ChargeDescription
            "Usage-Based".into(),                              // ChargeFrequency
            ts(f.date + chrono::Days::new(1)),                 // ChargePeriodEnd
            ts(f.date),                                        // ChargePeriodStart
            String::new(),                                     // CommitmentDiscountCategory
            String::new(),                                     // CommitmentDiscountId
            String::new(),                                     // CommitmentDiscountName
            String::new(),                                     // CommitmentDiscountStatus
            String::new(),                                     // CommitmentDiscountType
            f.tokens.to_string(),                              // ConsumedQuantity
            consumed_unit.into(),                              // ConsumedUnit
            cost.clone(),                                      // ContractedCost
            String::new(),                                     // ContractedUnitPrice
            cost.clone(),                                      // EffectiveCost
            String::new(),                                     // InvoiceId
            issuer(&f.product).into(),                         // InvoiceIssuerName
            list,                                              // ListCost
            String::new(),                                     // ListUnitPrice
            "Standard".into(),                                 // PricingCategory
            "USD".into(),                                      // PricingCurrency
            pricing_quantity,                                  // PricingQuantity
            unit.into(),                                       // PricingUnit
            issuer(&f.product).into(),                         // ProviderName
            "Anthropic".into(),                                // PublisherName
            String::new(),                                     // RegionId
            String::new(),                                     // RegionName
            resource,                                          // ResourceId
            f.email.clone(),                                   // ResourceName
            resource_type(&f.email).into(),                    // ResourceType
            "AI and Machine Learning".into(),                  // ServiceCategory
            service(&f.product).into(),                        // ServiceName
            "Generative AI".into(),                            // ServiceSubcategory
            format!("{}:{sku}", f.model),                      // SkuId
            format!("{}:{sku}:{}", f.model, f.context_window), // SkuPriceId
            account.to_string(),                               // SubAccountId
            format!("Anthropic organization {account}"),       // SubAccountName
            "Organization".into(),                             // SubAccountType
            tags,                                              // Tags
            f.cost_center.clone(),                             // x_CostCenter
            if allot_core::identity::is_person(&f.email) {
                // x_Email
                f.email.clone()
            } else {
                String::new()
            },
            f.context_window.clone(), // x_ContextWindow
            settled.to_string(),      // x_Settled
        ];
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}
