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

/// Something that reaches a bucket: a grant, a capability from one, a
/// link's grant. Sealed: no type outside this module can claim it.
pub trait HoldsBucket: sealed::Sealed {
    fn bucket(&self) -> &Bucket;
}

impl HoldsBucket for BucketGrant {
    fn bucket(&self) -> &Bucket {
        &self.bucket
    }
}

impl<L: Level> HoldsBucket for Can<'_, L, BucketGrant> {
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
    impl Sealed for super::super::BucketGrant {}
    impl<L: super::Level> Sealed for super::Can<'_, L, super::super::BucketGrant> {}
    impl Sealed for super::super::LinkGrant {}
    impl Sealed for super::super::SystemGrant {}
}
