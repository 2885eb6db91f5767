//! Capabilities: a role requirement met by a grant, as a type. An operation
//! that needs an Editor asks for a [`Can<Editor, _>`] in its signature, so
//! it cannot run without the check; the S3 client of a bucket needs
//! something that [`HoldsBucket`]. Both traits are sealed: no type outside
//! this module can claim them.

use super::{Bucket, BucketGrant, LinkGrant, Role, SystemGrant};
use std::marker::PhantomData;
use std::ops::Deref;

/// Proof that the grant `G` holds at least the role of level `L`. Made only
/// by a grant's `can`; reads as the grant it came from.
pub struct Can<'g, L: Level, G> {
    grant: &'g G,
    level: PhantomData<L>,
}

impl<'g, L: Level, G> Can<'g, L, G> {
    pub(super) fn of(grant: &'g G) -> Self {
        Can {
            grant,
            level: PhantomData,
        }
    }
}

impl<L: Level, G> Deref for Can<'_, L, G> {
    type Target = G;
    fn deref(&self) -> &G {
        self.grant
    }
}

/// Proof that the grant holds at least the role of level `L` at the keys
/// it was made for (a folder grant or the whole bucket), made only by
/// [`BucketGrant::at`] or a capability's `at`: what a key operation needs
/// to reach the bucket's S3 client. Reads as the grant it came from.
pub struct At<'g, L: Level> {
    grant: &'g BucketGrant,
    level: PhantomData<L>,
}

impl<'g, L: Level> At<'g, L> {
    pub(super) fn of(grant: &'g BucketGrant) -> Self {
        At {
            grant,
            level: PhantomData,
        }
    }
}

impl<L: Level> Deref for At<'_, L> {
    type Target = BucketGrant;
    fn deref(&self) -> &BucketGrant {
        self.grant
    }
}

impl<'g, L: Level> Can<'g, L, BucketGrant> {
    /// This capability at `key` (a file, or a folder ending in `/`): the
    /// most specific grant covering it must be of level `L` too.
    pub fn at(&self, key: &str) -> Result<At<'g, L>, crate::CoreError> {
        self.grant.at::<L>(key)
    }

    /// This capability at every one of `keys` (see [`Can::at`]).
    pub fn at_all<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Result<At<'g, L>, crate::CoreError> {
        self.grant.at_all::<L>(keys)
    }
}

/// A role as a type, for capabilities: [`Viewer`], [`Editor`], [`Admin`], [`Owner`].
pub trait Level: sealed::Sealed {
    const ROLE: Role;
}

/// May list, preview, download and share download links.
pub enum Viewer {}
/// A Viewer who may also upload, create folders, rename, move and delete.
pub enum Editor {}
/// An Editor who may also invite people, change roles and revoke.
pub enum Admin {}
/// An Admin who may also edit or disconnect buckets and delete the workspace.
pub enum Owner {}

impl Level for Viewer {
    const ROLE: Role = Role::Viewer;
}
impl Level for Editor {
    const ROLE: Role = Role::Editor;
}
impl Level for Admin {
    const ROLE: Role = Role::Admin;
}
impl Level for Owner {
    const ROLE: Role = Role::Owner;
}

/// Something that reaches a bucket's S3 client: a capability at the keys
/// an operation touches ([`At`]), an Admin's or Owner's capability (roles
/// on the whole bucket), a link's grant. A grant alone does not: someone
/// with folder grants reaches only the keys they were checked at. Sealed:
/// no type outside this module can claim it.
pub trait HoldsBucket: sealed::Sealed {
    fn bucket(&self) -> &Bucket;
}

impl<L: Level> HoldsBucket for At<'_, L> {
    fn bucket(&self) -> &Bucket {
        &self.grant.bucket
    }
}

// Admin and Owner are roles on the whole bucket only (a folder grant gives
// Viewer or Editor), so their capabilities reach every key.
impl HoldsBucket for Can<'_, Admin, BucketGrant> {
    fn bucket(&self) -> &Bucket {
        &self.grant.bucket
    }
}

impl HoldsBucket for Can<'_, Owner, BucketGrant> {
    fn bucket(&self) -> &Bucket {
        &self.grant.bucket
    }
}

impl HoldsBucket for LinkGrant {
    fn bucket(&self) -> &Bucket {
        &self.bucket
    }
}

impl HoldsBucket for SystemGrant {
    fn bucket(&self) -> &Bucket {
        &self.bucket
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Viewer {}
    impl Sealed for super::Editor {}
    impl Sealed for super::Admin {}
    impl Sealed for super::Owner {}
    impl<L: super::Level> Sealed for super::At<'_, L> {}
    impl Sealed for super::Can<'_, super::Admin, super::super::BucketGrant> {}
    impl Sealed for super::Can<'_, super::Owner, super::super::BucketGrant> {}
    impl Sealed for super::super::LinkGrant {}
    impl Sealed for super::super::SystemGrant {}
}
