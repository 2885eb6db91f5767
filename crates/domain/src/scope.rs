//! What a personal access token may do (DESIGN.md, API conventions). A
//! token acts with its owner's current roles, never more, and only within
//! its scopes.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// List folders, read details, get download links.
    Read,
    /// Upload, create folders, rename, move, delete.
    Write,
    /// Presigned links, revocable download links and upload links.
    Share,
    /// Members, invitations, buckets and the workspace.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Share, Scope::Admin];

    /// The name stored in the database, typed on the command line and sent in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Share => "share",
            Scope::Admin => "admin",
        }
    }

    /// What the scope allows, in words for the token page.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Read => "list folders, read details, get download links",
            Scope::Write => "upload, create folders, rename, move and delete",
            Scope::Share => "presigned links, revocable links and upload links",
            Scope::Admin => "members, invitations, buckets and the workspace",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    pub fn all() -> Scopes {
        Scopes::from_iter(Scope::ALL)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Scopes::bit(scope) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The names, as stored: `["read", "share"]`.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|s| s.as_str().to_owned()).collect()
    }

    /// Scopes from names; `Err` names the first unknown one.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Scopes, String> {
        let mut scopes = Scopes::default();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            scopes.0 |= Scopes::bit(scope);
        }
        Ok(scopes)
    }

    fn bit(scope: Scope) -> u8 {
        1 << scope as u8
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Scopes {
        Scopes(iter.into_iter().fold(0, |bits, s| bits | Scopes::bit(s)))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_from_their_names_and_refuse_unknown_ones() {
        let scopes = Scopes::parse(["read", " share", ""]).expect("known names");
        assert!(scopes.contains(Scope::Read));
        assert!(scopes.contains(Scope::Share));
        assert!(!scopes.contains(Scope::Write));
        assert!(!scopes.contains(Scope::Admin));
        assert_eq!(scopes.names(), ["read", "share"]);
        assert_eq!(Scopes::parse(["read", "delete"]), Err("delete".into()));
        assert!(Scopes::parse([""]).expect("nothing").is_empty());
        assert_eq!(Scopes::all().names(), ["read", "write", "share", "admin"]);
    }
}
