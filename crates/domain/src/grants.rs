//! Where a person's roles on a bucket apply: the whole bucket, folders in
//! it, or both. The most specific grant for a key decides: someone who is a
//! Viewer on the bucket and an Editor on `uploads/` edits in `uploads/` and
//! only looks elsewhere; someone with only `clients/acme/` reaches nothing
//! outside it. A folder covers the keys that start with it, so it is exact
//! on whole path segments (`clients/acme/` never covers `clients/acme-evil/x`),
//! and never a key with a `.` or `..` part, which a storage service or a
//! proxy on the way could resolve to somewhere else.

use crate::Role;
use crate::object::{folder_filter, has_dot_segment};

/// A role on one folder of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderGrant {
    /// The folder's path, ending in `/`.
    pub folder: String,
    pub role: Role,
}

/// A person's grants on one bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    bucket: Option<Role>,
    /// By path.
    folders: Vec<FolderGrant>,
}

/// The roles a folder grant can give: Admin and Owner are about the whole
/// bucket (its people and its settings).
pub const FOLDER_ROLES: [Role; 2] = [Role::Viewer, Role::Editor];

/// Whether a grant on `folder` (`""`: the whole bucket) covers `key`.
pub fn covers(folder: &str, key: &str) -> bool {
    folder.is_empty() || (key.starts_with(folder) && !has_dot_segment(key))
}

/// A folder typed for a grant (`clients/acme`, `/clients/acme/`): the path
/// it means, ending in `/`; none when nothing was typed (the whole bucket).
pub fn granted_folder(typed: &str) -> Result<Option<String>, String> {
    folder_filter(typed).map_err(|problem| problem.replacen("The folder filter", "The folder", 1))
}

/// Whether a folder grant may give `role` (see [`FOLDER_ROLES`]).
pub fn check_folder_role(role: Role) -> Result<(), String> {
    if FOLDER_ROLES.contains(&role) {
        Ok(())
    } else {
        Err(format!(
            "A folder can be given to a Viewer or an Editor; {} is a role on the whole bucket.",
            role.label()
        ))
    }
}

impl Grants {
    /// Grants from stored rows: the role on the whole bucket, if any, and
    /// folder grants as paths with their roles (unknown roles are skipped).
    pub fn new(bucket: Option<Role>, folders: impl IntoIterator<Item = (String, Role)>) -> Grants {
        let mut folders: Vec<FolderGrant> = folders
            .into_iter()
            .map(|(folder, role)| FolderGrant { folder, role })
            .collect();
        folders.sort_by(|a, b| a.folder.cmp(&b.folder));
        Grants { bucket, folders }
    }

    /// Grants from the columns a query returns: the bucket role's name and
    /// two arrays of the same length, folders and their roles' names.
    pub fn from_columns(bucket: Option<&str>, folders: &[String], roles: &[String]) -> Grants {
        Grants::new(
            bucket.and_then(|r| r.parse().ok()),
            folders
                .iter()
                .zip(roles)
                .filter_map(|(folder, role)| Some((folder.clone(), role.parse().ok()?))),
        )
    }

    /// The role on the whole bucket.
    pub fn bucket_role(&self) -> Option<Role> {
        self.bucket
    }

    /// The folder grants, by path.
    pub fn folders(&self) -> &[FolderGrant] {
        &self.folders
    }

    pub fn is_empty(&self) -> bool {
        self.bucket.is_none() && self.folders.is_empty()
    }

    /// The highest role anywhere in the bucket.
    pub fn highest(&self) -> Option<Role> {
        self.folders.iter().map(|g| g.role).chain(self.bucket).max()
    }

    /// The role that applies to `key` (a file, or a folder ending in `/`):
    /// the most specific grant covering it.
    pub fn role_at(&self, key: &str) -> Option<Role> {
        self.folders
            .iter()
            .filter(|g| covers(&g.folder, key))
            .max_by_key(|g| g.folder.len())
            .map(|g| g.role)
            .or(self.bucket)
    }

    /// The grants in words: `Viewer`, `Viewer; Editor in uploads/`,
    /// `Viewer in clients/acme/`.
    pub fn describe(&self) -> String {
        self.bucket
            .map(|role| role.label().to_owned())
            .into_iter()
            .chain(
                self.folders
                    .iter()
                    .map(|g| format!("{} in {}", g.role.label(), g.folder)),
            )
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether the person holds a role only on some folders of the bucket.
    pub fn only_folders(&self) -> bool {
        self.bucket.is_none()
    }

    /// For a folder `prefix` the person holds no role in: the next folder
    /// toward each granted folder below it, by name (all they may see
    /// there). Empty when nothing granted lies below.
    pub fn paths_below(&self, prefix: &str) -> Vec<String> {
        let mut paths: Vec<String> = self
            .folders
            .iter()
            .filter_map(|g| {
                let rest = g.folder.strip_prefix(prefix)?;
                if rest.is_empty() || has_dot_segment(prefix) {
                    return None;
                }
                let step = rest.split_inclusive('/').next()?;
                Some(format!("{prefix}{step}"))
            })
            .collect();
        paths.dedup();
        paths
    }

    /// Where the bucket opens: its top for someone with a role on the
    /// whole bucket or several folders, their folder for someone with one.
    pub fn home(&self) -> &str {
        match (&self.bucket, self.folders.as_slice()) {
            (None, [only]) => &only.folder,
            _ => "",
        }
    }

    /// The first folder of `prefix`'s path the person may open, where its
    /// breadcrumbs start: the top with a bucket role, else the widest
    /// granted folder holding `prefix` (none: `prefix` is above them all).
    pub fn top_of(&self, prefix: &str) -> Option<&str> {
        if self.bucket.is_some() {
            return Some("");
        }
        self.folders
            .iter()
            .filter(|g| covers(&g.folder, prefix))
            .min_by_key(|g| g.folder.len())
            .map(|g| g.folder.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(bucket: Option<Role>, folders: &[(&str, Role)]) -> Grants {
        Grants::new(bucket, folders.iter().map(|(f, r)| ((*f).to_owned(), *r)))
    }

    #[test]
    fn a_folder_covers_its_keys_on_whole_path_segments_only() {
        assert!(covers("clients/acme/", "clients/acme/a.txt"));
        assert!(covers("clients/acme/", "clients/acme/deep/er/b.pdf"));
        assert!(covers("clients/acme/", "clients/acme/"));
        assert!(covers("clients/acme/", "clients/acme//doubled"));
        assert!(!covers("clients/acme/", "clients/acme-evil/a.txt"));
        assert!(!covers("clients/acme/", "clients/acme"));
        assert!(!covers("clients/acme/", "clients/"));
        assert!(!covers("clients/acme/", "Clients/acme/a.txt"));
        assert!(covers("", "anything/at/all"));
    }

    #[test]
    fn a_folder_never_covers_a_key_with_dot_parts() {
        assert!(!covers("clients/acme/", "clients/acme/../other/secret.txt"));
        assert!(!covers("clients/acme/", "clients/acme/./a.txt"));
        assert!(!covers("clients/acme/", "clients/acme/.."));
        // a dot inside a name is a name
        assert!(covers("clients/acme/", "clients/acme/..report.txt"));
    }

    #[test]
    fn the_most_specific_grant_decides() {
        let g = grants(
            Some(Role::Viewer),
            &[
                ("uploads/", Role::Editor),
                ("uploads/locked/", Role::Viewer),
            ],
        );
        assert_eq!(g.role_at("readme.txt"), Some(Role::Viewer));
        assert_eq!(g.role_at("uploads/new.txt"), Some(Role::Editor));
        assert_eq!(g.role_at("uploads/locked/old.txt"), Some(Role::Viewer));
        assert_eq!(g.role_at("uploads-other/x"), Some(Role::Viewer));
        assert_eq!(g.highest(), Some(Role::Editor));
    }

    #[test]
    fn folder_only_grants_reach_nothing_outside_their_folders() {
        let g = grants(None, &[("clients/acme/", Role::Viewer)]);
        assert_eq!(g.role_at("clients/acme/report.pdf"), Some(Role::Viewer));
        assert_eq!(g.role_at("clients/acme-evil/report.pdf"), None);
        assert_eq!(g.role_at("clients/"), None);
        assert_eq!(g.role_at("clients/acme/../acme-evil/x"), None);
        assert_eq!(g.role_at(""), None);
        assert!(g.only_folders());
    }

    #[test]
    fn above_granted_folders_only_the_way_to_them_shows() {
        let g = grants(
            None,
            &[
                ("clients/acme/", Role::Viewer),
                ("clients/beta/in/", Role::Editor),
                ("reports/", Role::Viewer),
            ],
        );
        assert_eq!(g.paths_below(""), ["clients/", "reports/"]);
        assert_eq!(
            g.paths_below("clients/"),
            ["clients/acme/", "clients/beta/"]
        );
        assert_eq!(g.paths_below("clients/beta/"), ["clients/beta/in/"]);
        assert!(g.paths_below("clients/acme/").is_empty());
        assert!(g.paths_below("elsewhere/").is_empty());
    }

    #[test]
    fn the_bucket_opens_at_the_one_granted_folder() {
        assert_eq!(
            grants(None, &[("clients/acme/", Role::Viewer)]).home(),
            "clients/acme/"
        );
        assert_eq!(
            grants(None, &[("a/", Role::Viewer), ("b/", Role::Viewer)]).home(),
            ""
        );
        assert_eq!(
            grants(Some(Role::Viewer), &[("a/", Role::Editor)]).home(),
            ""
        );
    }

    #[test]
    fn breadcrumbs_start_at_the_widest_granted_folder() {
        let g = grants(
            None,
            &[
                ("clients/acme/", Role::Viewer),
                ("clients/acme/uploads/", Role::Editor),
            ],
        );
        assert_eq!(g.top_of("clients/acme/uploads/x/"), Some("clients/acme/"));
        assert_eq!(g.top_of("clients/"), None);
        assert_eq!(grants(Some(Role::Viewer), &[]).top_of("a/b/"), Some(""));
    }

    #[test]
    fn folders_are_typed_loosely_and_given_only_viewer_or_editor() {
        assert_eq!(
            granted_folder(" /clients/acme "),
            Ok(Some("clients/acme/".into()))
        );
        assert_eq!(granted_folder(""), Ok(None));
        assert!(granted_folder("clients/../x").is_err());
        assert!(granted_folder("a//b").is_err());
        assert!(check_folder_role(Role::Editor).is_ok());
        assert!(check_folder_role(Role::Admin).is_err());
    }

    #[test]
    fn grants_read_as_words() {
        assert_eq!(grants(Some(Role::Owner), &[]).describe(), "Owner");
        assert_eq!(
            grants(Some(Role::Viewer), &[("uploads/", Role::Editor)]).describe(),
            "Viewer; Editor in uploads/"
        );
        assert_eq!(
            grants(None, &[("clients/acme/", Role::Viewer)]).describe(),
            "Viewer in clients/acme/"
        );
    }

    #[test]
    fn stored_columns_become_grants() {
        let g = Grants::from_columns(
            None,
            &["b/".into(), "a/".into()],
            &["editor".into(), "viewer".into()],
        );
        assert_eq!(g.folders()[0].folder, "a/");
        assert_eq!(g.role_at("b/x"), Some(Role::Editor));
        assert!(Grants::from_columns(None, &[], &[]).is_empty());
    }
}
