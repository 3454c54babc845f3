//! Who may do what: a role, the account's relation to a task (its agency leads it,
//! cooperates on it, or neither) and a command's kind decide whether the command may be
//! given; the refusal says why in Vietnamese. Pure and table-driven: every entry point
//! (API, web pages, chat) asks here before it asks the aggregate.

use chrono::NaiveDate;

use crate::account::AccountRole;
use crate::agency::{Directory, Resolution};
use crate::task::CommandKind;

/// How an account's agency stands to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The agency leads the task (named as chủ trì, or a member of the group named).
    Lead,
    /// The agency cooperates (phối hợp).
    Cooperating,
    /// Neither.
    Unrelated,
}

/// How `agency` stands to a task led by `lead` with `cooperating` agencies on `today`
/// (aliases, renames and mergers in force followed; a group names its members; several
/// lead agencies are written "A; B").
pub fn relation(directory: &Directory, agency: &str, lead: &str, cooperating: &[String], today: NaiveDate) -> Relation {
    let mine = directory.current_key(agency, today);
    let names = |name: &str| -> Vec<String> {
        match directory.resolve(name) {
            Resolution::Group { members, .. } => {
                let mut keys: Vec<String> = members.iter().map(|m| directory.current_key(m, today)).collect();
                keys.push(directory.current_key(name, today));
                keys
            }
            _ => vec![directory.current_key(name, today)],
        }
    };
    let listed = |name: &str| !name.trim().is_empty() && names(name.trim()).contains(&mine);
    if lead.split("; ").any(listed) {
        Relation::Lead
    } else if cooperating.iter().any(|c| listed(c)) {
        Relation::Cooperating
    } else {
        Relation::Unrelated
    }
}

/// Why a command is refused to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("vai trò {} chỉ được xem, không được {}", .role.label_vi(), .kind.label_vi())]
    ReadOnly { role: AccountRole, kind: CommandKind },
    #[error("tài khoản quản trị chỉ quản lý tài khoản, không được {}", .kind.label_vi())]
    AccountsOnly { kind: CommandKind },
    #[error("chỉ tổ giúp việc được {}", .kind.label_vi())]
    SecretariatOnly { kind: CommandKind },
    #[error("cơ quan của tài khoản không chủ trì hay phối hợp thực hiện nhiệm vụ này")]
    NotOwnAgency,
    #[error("cơ quan phối hợp chỉ được báo cáo tiến độ và ghi chú, không được {}", .kind.label_vi())]
    CooperatingOnly { kind: CommandKind },
    #[error("việc {} do hệ thống tự ghi nhận", .kind.label_vi())]
    Internal { kind: CommandKind },
}

/// What an officer of the lead agency may do.
const LEAD_OFFICER: &[CommandKind] = &[
    CommandKind::Start,
    CommandKind::Pause,
    CommandKind::Resume,
    CommandKind::ReportProgress,
    CommandKind::SubmitReport,
    CommandKind::Complete,
    CommandKind::RequestExtension,
    CommandKind::Comment,
    CommandKind::Acknowledge,
    CommandKind::Explain,
];

/// What a cooperating agency's officer or head may do.
const COOPERATING: &[CommandKind] = &[CommandKind::ReportProgress, CommandKind::Comment, CommandKind::Acknowledge];

/// What an agency head of the lead agency may do besides an officer's moves: turn back
/// an extension request of their officers before the secretariat decides.
const LEAD_HEAD_EXTRA: &[CommandKind] = &[CommandKind::RejectExtension];

/// Whether `role`, standing in `relation` to a task, may give a command of `kind`.
pub fn permit(role: AccountRole, relation: Relation, kind: CommandKind) -> Result<(), Refusal> {
    if kind.is_internal() {
        return Err(Refusal::Internal { kind });
    }
    match role {
        AccountRole::Secretariat => Ok(()),
        AccountRole::Leadership => Err(Refusal::ReadOnly { role, kind }),
        AccountRole::Admin => Err(Refusal::AccountsOnly { kind }),
        AccountRole::Officer | AccountRole::AgencyHead => {
            let lead_may =
                LEAD_OFFICER.contains(&kind) || (role == AccountRole::AgencyHead && LEAD_HEAD_EXTRA.contains(&kind));
            if !lead_may {
                return Err(Refusal::SecretariatOnly { kind });
            }
            match relation {
                Relation::Lead => Ok(()),
                Relation::Cooperating if COOPERATING.contains(&kind) => Ok(()),
                Relation::Cooperating => Err(Refusal::CooperatingOnly { kind }),
                Relation::Unrelated => Err(Refusal::NotOwnAgency),
            }
        }
    }
}

/// What an account may do besides commands on tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Read tasks, timelines, plans, agencies and summaries.
    Read,
    /// Import plans, dismiss review rows.
    Import,
    /// The delivery log, failures, silences and contacts.
    Deliveries,
    /// Verify the audit chains and seals.
    Audit,
    /// Create, change and disable accounts.
    Accounts,
}

impl Capability {
    /// The Vietnamese name of the capability, inside a sentence.
    pub fn label_vi(self) -> &'static str {
        match self {
            Capability::Read => "xem nhiệm vụ",
            Capability::Import => "nhập kế hoạch",
            Capability::Deliveries => "quản lý việc gửi nhắc việc",
            Capability::Audit => "kiểm tra nhật ký",
            Capability::Accounts => "quản lý tài khoản",
        }
    }
}

/// Whether `role` has `capability`.
pub fn allows(role: AccountRole, capability: Capability) -> bool {
    use AccountRole as R;
    use Capability as C;
    match capability {
        C::Read => role != R::Admin,
        C::Import | C::Deliveries | C::Audit => role == R::Secretariat,
        C::Accounts => role == R::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agency::{AgencyConfig, AgencyEntry, GroupEntry};
    use CommandKind as K;

    #[test]
    fn each_role_and_relation_against_each_command() {
        use AccountRole as R;
        use Relation as L;
        // (role, relation, commands allowed); every other person's command is refused.
        let table: &[(R, L, &[K])] = &[
            (R::Officer, L::Lead, LEAD_OFFICER),
            (R::Officer, L::Cooperating, COOPERATING),
            (R::Officer, L::Unrelated, &[]),
            (R::AgencyHead, L::Lead, &[LEAD_OFFICER, LEAD_HEAD_EXTRA].concat()),
            (R::AgencyHead, L::Cooperating, COOPERATING),
            (R::AgencyHead, L::Unrelated, &[]),
            (R::Leadership, L::Lead, &[]),
            (R::Admin, L::Lead, &[]),
        ];
        for (role, relation, allowed) in table {
            for kind in CommandKind::ALL.into_iter().filter(|k| !k.is_internal()) {
                assert_eq!(
                    permit(*role, *relation, kind).is_ok(),
                    allowed.contains(&kind),
                    "{role:?} {relation:?} {kind:?}"
                );
            }
        }
        for relation in [L::Lead, L::Cooperating, L::Unrelated] {
            for kind in CommandKind::ALL {
                assert_eq!(permit(R::Secretariat, relation, kind).is_ok(), !kind.is_internal(), "{kind:?}");
            }
        }
        let e = permit(R::Officer, L::Lead, K::Extend).unwrap_err();
        assert_eq!(e.to_string(), "chỉ tổ giúp việc được gia hạn");
        let e = permit(R::Leadership, L::Lead, K::Comment).unwrap_err();
        assert_eq!(e.to_string(), "vai trò lãnh đạo tỉnh chỉ được xem, không được ghi chú");
    }

    #[test]
    fn relations_follow_aliases_groups_and_several_leads() {
        let directory = Directory::new(AgencyConfig {
            agencies: vec![
                AgencyEntry { name: "Sở Tài chính".into(), aliases: vec!["STC".into()] },
                AgencyEntry { name: "Sở Y tế".into(), aliases: vec![] },
                AgencyEntry { name: "Thống kê tỉnh".into(), aliases: vec![] },
            ],
            groups: vec![GroupEntry {
                name: "Các Sở, ban, ngành".into(),
                aliases: vec![],
                members: vec!["Sở Tài chính".into(), "Sở Y tế".into()],
            }],
            ..AgencyConfig::default()
        });
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let coop = vec!["Sở Y tế".to_string()];
        let cases = [
            ("STC", "Sở Tài chính", Relation::Lead),
            ("Sở Tài chính", "Thống kê tỉnh; Sở Tài chính", Relation::Lead),
            ("Sở Y tế", "Sở Tài chính", Relation::Cooperating),
            ("Thống kê tỉnh", "Sở Tài chính", Relation::Unrelated),
            ("Sở Y tế", "Các Sở, ban, ngành", Relation::Lead),
            ("Thống kê tỉnh", "Các Sở, ban, ngành", Relation::Unrelated),
        ];
        for (agency, lead, want) in cases {
            assert_eq!(relation(&directory, agency, lead, &coop, day), want, "{agency} / {lead}");
        }
    }
}
