//! Accounts of the web pages and the API: who may sign in, in which role, for which
//! agency; the password (as an argon2 PHC string, never the password) and the API tokens
//! issued (as their SHA-256, never the token). The history is the stream
//! [`ACCOUNT_STREAM`], so every daemon on a shared store sees the same accounts and every
//! grant of authority is in the audit trail; [`AccountBook`] folds it. Pure: hashes,
//! tokens and instants come from the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The stream of account events.
pub const ACCOUNT_STREAM: &str = "accounts";

/// What an account may do (see [`crate::access`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// A responsible officer: acts on the tasks of their own agency.
    Officer,
    /// The head of an agency: as an officer, and turns back their officers' requests.
    AgencyHead,
    /// The secretariat (tổ giúp việc): every task, assignment, extensions, imports, audit.
    Secretariat,
    /// Provincial leadership: reads everything, changes nothing.
    Leadership,
    /// Manages accounts only.
    Admin,
}

impl AccountRole {
    /// Every role, in a stable order.
    pub const ALL: [AccountRole; 5] = [
        AccountRole::Officer,
        AccountRole::AgencyHead,
        AccountRole::Secretariat,
        AccountRole::Leadership,
        AccountRole::Admin,
    ];

    /// The name used in commands and JSON ("officer", "agency_head", ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountRole::Officer => "officer",
            AccountRole::AgencyHead => "agency_head",
            AccountRole::Secretariat => "secretariat",
            AccountRole::Leadership => "leadership",
            AccountRole::Admin => "admin",
        }
    }

    /// The Vietnamese name of the role.
    pub fn label_vi(self) -> &'static str {
        match self {
            AccountRole::Officer => "chuyên viên",
            AccountRole::AgencyHead => "lãnh đạo cơ quan",
            AccountRole::Secretariat => "tổ giúp việc",
            AccountRole::Leadership => "lãnh đạo tỉnh",
            AccountRole::Admin => "quản trị tài khoản",
        }
    }

    /// Whether accounts of this role belong to one agency (and must name it).
    pub fn needs_agency(self) -> bool {
        matches!(self, AccountRole::Officer | AccountRole::AgencyHead)
    }
}

impl std::str::FromStr for AccountRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_lowercase().replace('-', "_");
        AccountRole::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted || (wanted == "head" && *r == AccountRole::AgencyHead))
            .ok_or_else(|| {
                let names: Vec<_> = AccountRole::ALL.iter().map(|r| r.as_str()).collect();
                format!("vai trò \"{s}\" không có; dùng một trong: {}", names.join(", "))
            })
    }
}

/// Whether `login` is a valid account name: 2–64 characters of a–z, 0–9, '.', '_' and
/// '-', starting with a letter or digit (so it is the same in every script and URL).
pub fn valid_login(login: &str) -> bool {
    (2..=64).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && login.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// An account as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub login: String,
    /// The person's full name, as shown on pages and in the audit trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub role: AccountRole,
    /// The agency of an officer or agency head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The contact (reminder recipient) this account is, if any: its preferences page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The password as an argon2 PHC string; `None` until one is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_phc: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

impl Account {
    /// The name recorded as the actor of this account's commands: "user:login (Full Name)".
    pub fn actor(&self) -> String {
        match &self.full_name {
            Some(n) => format!("user:{} ({n})", self.login),
            None => format!("user:{}", self.login),
        }
    }
}

/// Account events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AccountEvent {
    AccountCreated {
        login: String,
        role: AccountRole,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agency: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        full_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contact: Option<String>,
    },
    /// A new password (argon2 PHC string); every token issued before it stops working.
    PasswordSet {
        login: String,
        phc: String,
    },
    /// The role or agency changed; every token issued before stops working.
    AccountChanged {
        login: String,
        role: AccountRole,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agency: Option<String>,
    },
    AccountDisabled {
        login: String,
        reason: String,
    },
    AccountEnabled {
        login: String,
    },
    /// A sign-in: an API token (its SHA-256) valid until `expires_at`.
    TokenIssued {
        login: String,
        token_sha256: String,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    TokenRevoked {
        token_sha256: String,
    },
}

impl crate::stream_event::StreamEvent for AccountEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AccountEvent::AccountCreated { .. } => "AccountCreated",
            AccountEvent::PasswordSet { .. } => "PasswordSet",
            AccountEvent::AccountChanged { .. } => "AccountChanged",
            AccountEvent::AccountDisabled { .. } => "AccountDisabled",
            AccountEvent::AccountEnabled { .. } => "AccountEnabled",
            AccountEvent::TokenIssued { .. } => "TokenIssued",
            AccountEvent::TokenRevoked { .. } => "TokenRevoked",
        }
    }
}

/// What an account event does to the API tokens (kept row by row by the read model, not
/// in the folded book, so that a sign-in does not rewrite every account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEffect {
    Issued {
        token_sha256: String,
        login: String,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    Revoked {
        token_sha256: String,
    },
    /// Every token of the account ends (new password, changed role, disabled).
    EndAll {
        login: String,
    },
}

impl AccountEvent {
    /// What this event does to the tokens.
    pub fn token_effect(&self) -> Option<TokenEffect> {
        Some(match self {
            AccountEvent::TokenIssued { login, token_sha256, issued_at, expires_at } => TokenEffect::Issued {
                token_sha256: token_sha256.clone(),
                login: login.clone(),
                issued_at: *issued_at,
                expires_at: *expires_at,
            },
            AccountEvent::TokenRevoked { token_sha256 } => TokenEffect::Revoked { token_sha256: token_sha256.clone() },
            AccountEvent::PasswordSet { login, .. }
            | AccountEvent::AccountChanged { login, .. }
            | AccountEvent::AccountDisabled { login, .. } => TokenEffect::EndAll { login: login.clone() },
            AccountEvent::AccountCreated { .. } | AccountEvent::AccountEnabled { .. } => return None,
        })
    }
}

/// The accounts folded from their events (serialisable, so a read model can keep it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBook {
    accounts: BTreeMap<String, Account>,
}

impl AccountBook {
    /// Applies one event (tokens: see [`AccountEvent::token_effect`]).
    pub fn apply(&mut self, event: &AccountEvent) {
        match event {
            AccountEvent::AccountCreated { login, role, agency, full_name, contact } => {
                self.accounts.insert(
                    login.clone(),
                    Account {
                        login: login.clone(),
                        full_name: full_name.clone(),
                        role: *role,
                        agency: agency.clone(),
                        contact: contact.clone(),
                        password_phc: None,
                        disabled: false,
                    },
                );
            }
            AccountEvent::PasswordSet { login, phc } => {
                if let Some(a) = self.accounts.get_mut(login) {
                    a.password_phc = Some(phc.clone());
                }
            }
            AccountEvent::AccountChanged { login, role, agency } => {
                if let Some(a) = self.accounts.get_mut(login) {
                    a.role = *role;
                    a.agency = agency.clone();
                }
            }
            AccountEvent::AccountDisabled { login, .. } => {
                if let Some(a) = self.accounts.get_mut(login) {
                    a.disabled = true;
                }
            }
            AccountEvent::AccountEnabled { login } => {
                if let Some(a) = self.accounts.get_mut(login) {
                    a.disabled = false;
                }
            }
            AccountEvent::TokenIssued { .. } | AccountEvent::TokenRevoked { .. } => {}
        }
    }

    /// The account `login`, disabled or not.
    pub fn get(&self, login: &str) -> Option<&Account> {
        self.accounts.get(login)
    }

    /// Every account, by login.
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// The enabled account a token in force signs in at `now`: the token's account and
    /// expiry as the read model keeps them.
    pub fn bearer(&self, login: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<&Account> {
        if expires_at <= now {
            return None;
        }
        self.accounts.get(login).filter(|a| !a.disabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap()
    }

    /// The book and a token table kept as the read model keeps it.
    #[derive(Default)]
    struct Model {
        book: AccountBook,
        tokens: BTreeMap<String, (String, DateTime<Utc>)>,
    }

    impl Model {
        fn apply(&mut self, e: &AccountEvent) {
            self.book.apply(e);
            match e.token_effect() {
                Some(TokenEffect::Issued { token_sha256, login, expires_at, .. }) => {
                    self.tokens.insert(token_sha256, (login, expires_at));
                }
                Some(TokenEffect::Revoked { token_sha256 }) => {
                    self.tokens.remove(&token_sha256);
                }
                Some(TokenEffect::EndAll { login }) => self.tokens.retain(|_, (l, _)| *l != login),
                None => {}
            }
        }

        fn bearer(&self, token: &str, now: DateTime<Utc>) -> Option<&Account> {
            let (login, expires) = self.tokens.get(token)?;
            self.book.bearer(login, *expires, now)
        }
    }

    fn model() -> Model {
        let mut m = Model::default();
        m.apply(&AccountEvent::AccountCreated {
            login: "nva".into(),
            role: AccountRole::Officer,
            agency: Some("Sở Tài chính".into()),
            full_name: Some("Nguyễn Văn A".into()),
            contact: None,
        });
        m.apply(&AccountEvent::PasswordSet { login: "nva".into(), phc: "$argon2id$...".into() });
        m.apply(&AccountEvent::TokenIssued {
            login: "nva".into(),
            token_sha256: "t1".into(),
            issued_at: at(1),
            expires_at: at(5),
        });
        m
    }

    #[test]
    fn tokens_work_until_they_expire_or_are_revoked() {
        let mut m = model();
        assert_eq!(m.bearer("t1", at(2)).map(|a| a.login.as_str()), Some("nva"));
        assert!(m.bearer("t1", at(5)).is_none(), "expired at its instant");
        assert!(m.bearer("other", at(2)).is_none());
        m.apply(&AccountEvent::TokenRevoked { token_sha256: "t1".into() });
        assert!(m.bearer("t1", at(2)).is_none());
    }

    #[test]
    fn a_new_password_a_change_or_disabling_ends_every_token() {
        let changes = [
            AccountEvent::PasswordSet { login: "nva".into(), phc: "x".into() },
            AccountEvent::AccountChanged { login: "nva".into(), role: AccountRole::AgencyHead, agency: None },
            AccountEvent::AccountDisabled { login: "nva".into(), reason: "nghỉ hưu".into() },
        ];
        for change in changes {
            let mut m = model();
            m.apply(&change);
            assert!(m.bearer("t1", at(2)).is_none(), "{change:?}");
        }
        let mut m = model();
        m.apply(&AccountEvent::AccountDisabled { login: "nva".into(), reason: "x".into() });
        m.apply(&AccountEvent::AccountEnabled { login: "nva".into() });
        assert!(!m.book.get("nva").unwrap().disabled);
        assert_eq!(m.book.get("nva").unwrap().actor(), "user:nva (Nguyễn Văn A)");
    }

    #[test]
    fn logins_and_roles_read_as_written() {
        for (login, ok) in
            [("nva", true), ("nguyen.van-a_2", true), ("a", false), ("Nva", false), (".x", false), ("ng văn", false)]
        {
            assert_eq!(valid_login(login), ok, "{login}");
        }
        assert_eq!("agency-head".parse::<AccountRole>(), Ok(AccountRole::AgencyHead));
        assert_eq!("head".parse::<AccountRole>(), Ok(AccountRole::AgencyHead));
        assert!("boss".parse::<AccountRole>().unwrap_err().contains("officer"));
    }
}
