"""Restore a collection archive (see ``archive_export``) into this archive as a new collection.

Zip safety first: member count, total and per-member uncompressed size and ratio, no
absolute paths, no ``..``, no links; every file listed in manifest.json must be present
with the listed sha256. Then images are checked with Pillow and everything is written in
one transaction (stored image files are deleted again if it fails). History is restored
as it was: every inscription version with its supersedes chain, dates and agents;
annotation and reflection versions; model versions matched by name + version + sha256.
People are matched by username; a missing one is created inactive with no password, so
attribution survives without granting anyone access.
"""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from archive.models import Collection, Document, GeometryRevision, Line, Membership, Page, Region, Role, Tag, Text
from exchange.formats import archive_data
from exchange.formats.images import StoredFiles, check_image
from inscription.models import Annotation, AnnotationVersion, Citation, Inscription, Layer, Reflection, ReflectionVersion
from jobs.models import ModelVersion
from palimpsest import textguard
from palimpsest.errors import InputError

MAX_MANIFEST_BYTES = 512 * 1024 * 1024


def _bad(message: str, code: str = "bad_archive") -> InputError:
    return InputError(message, code=code)


def check_zip(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Members by name after the safety checks; raises InputError on the first problem."""
    infos = zf.infolist()
    if len(infos) > settings.MAX_ZIP_MEMBERS:
        raise _bad(f"The archive has {len(infos)} members, more than the limit of {settings.MAX_ZIP_MEMBERS}.", "zip_too_many")
    total = 0
    members = {}
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        if name.startswith(("/", "\\")) or "\\" in name or ":" in path.parts[0] or ".." in path.parts:
            raise _bad(f"The archive member '{name}' has an unsafe path (absolute or with '..').", "zip_unsafe_path")
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise _bad(f"The archive member '{name}' is a symbolic link.", "zip_unsafe_path")
        if info.is_dir():
            continue
        total += info.file_size
        if total > settings.MAX_ZIP_UNCOMPRESSED_BYTES:
            raise _bad("The archive unpacks to more than the size limit.", "zip_too_large")
        if info.compress_size and info.file_size / info.compress_size > settings.MAX_ZIP_RATIO:
            raise _bad(f"The archive member '{name}' is compressed suspiciously well (a zip bomb?).", "zip_bomb")
        members[name] = info
    return members


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise _bad(f"The archive member '{info.filename}' is not the size its header says.", "zip_unsafe")
    return data


def read_archive(path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(manifest, files by path) after checking the zip and every listed checksum."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad(f"This is not a zip archive: {exc}.", "not_a_zip") from exc
    with zf:
        members = check_zip(zf)
        if "manifest.json" not in members:
            raise _bad("The archive has no manifest.json; it is not a Palimpsest collection archive.")
        if members["manifest.json"].file_size > MAX_MANIFEST_BYTES:
            raise _bad("manifest.json is too large.")
        try:
            manifest = textguard.loads(_read(zf, members["manifest.json"]), "manifest.json")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _bad(f"manifest.json is not JSON: {exc}.") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != archive_data.FORMAT:
            raise _bad("manifest.json does not describe a Palimpsest collection archive.")
        if manifest.get("version") != archive_data.VERSION:
            raise _bad(f"Archive format version {manifest.get('version')!r} is not supported (expected {archive_data.VERSION}).")
        files = {}
        for entry in manifest.get("files", []):
            name = entry.get("path")
            if name not in members:
                raise _bad(f"The archive lacks '{name}', which manifest.json lists.", "archive_incomplete")
            content = _read(zf, members[name])
            if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
                raise _bad(f"The checksum of '{name}' does not match manifest.json.", "archive_checksum")
            files[name] = content
    if not isinstance(manifest.get("archive"), dict):
        raise _bad("manifest.json carries no archive data.")
    return manifest, files


def _dt(value: str | None):
    return parse_datetime(value) if value else None


class Restorer:
    def __init__(self, data: dict[str, Any], files: dict[str, bytes], owner: AbstractBaseUser, stored: StoredFiles) -> None:
        self.data, self.files, self.owner, self.stored = data, files, owner, stored
        self.users: dict[str, Any] = {}
        self.objects: dict[str, dict[str, Any]] = {k: {} for k in
                                                    ("model", "document", "page", "region", "line", "inscription", "annotation", "reflection")}
        self.created_users: list[str] = []

    def user(self, name: str | None):
        if not name:
            return None
        if name not in self.users:
            user_model = get_user_model()
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: name}).first()
            if user is None:
                user = user_model(**{user_model.USERNAME_FIELD: name}, is_active=False)
                user.set_unusable_password()
                user.save()
                self.created_users.append(name)
            self.users[name] = user
        return self.users[name]

    def obj(self, kind: str, key: str | None):
        if key is None:
            return None
        try:
            return self.objects[kind][key]
        except KeyError as exc:
            raise _bad(f"The archive data refers to an unknown {kind} '{key}'.") from exc

    def ref(self, value: str) -> str:
        """``"page:d1p1"`` → ``"page:<new id>"``; anything else unchanged."""
        kind, sep, key = (value or "").partition(":")
        if sep and kind in self.objects and key in self.objects[kind]:
            return f"{kind}:{self.objects[kind][key].pk}"
        return value

    def json_refs(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.json_refs(v) for v in value]
        if isinstance(value, dict):
            return {k: (self.ref(v) if k == "source" and isinstance(v, str) else self.json_refs(v)) for k, v in value.items()}
        return value

    def markdown(self, text: str) -> str:
        from inscription.annotations.rendering import CITATION

        def swap(m) -> str:
            return f"[@{self.ref(f'{m.group(1)}:{m.group(2)}')}]"

        pattern = re.compile(CITATION.pattern.replace(r":(\d+)", r":([A-Za-z0-9]+)"))
        return pattern.sub(swap, text or "")

    @staticmethod
    def stamp(model, pk: int, **dates) -> None:
        values = {k: _dt(v) for k, v in dates.items() if v}
        if values:
            getattr(model, "all_objects", model.objects).filter(pk=pk).update(**values)

    # --- restore, in dependency order ---------------------------------------------------

    def models(self) -> None:
        for m in self.data.get("models", []):
            mv = ModelVersion.objects.filter(name=m["name"], version=m["version"], sha256=m["sha256"]).first()
            if mv is None:
                mv = ModelVersion.objects.create(
                    name=m["name"], version=m["version"], task=m["task"], path=m.get("path", ""), sha256=m["sha256"],
                    architecture=m.get("architecture") or {}, hyperparameters=m.get("hyperparameters") or {},
                    charset=m.get("charset") or "", training_data=m.get("training_data") or {}, metrics=m.get("metrics") or {},
                    licence=m.get("licence") or "", card=m.get("card") or {}, created_at=_dt(m.get("created_at")),
                )
            self.objects["model"][m["key"]] = mv

    def collection(self, slug: str | None) -> Collection:
        c = self.data["collection"]
        slug = slug or c["slug"]
        if Collection.objects.filter(slug=slug).exists():
            raise _bad(f"A collection '{slug}' already exists; import with another slug.", "slug_taken")
        coll = Collection.objects.create(slug=slug, title=c["title"], description=c.get("description", ""),
                                         **{k: str(c.get(k) or "")[:Collection._meta.get_field(k).max_length]
                                            for k in ("creator", "date", "source", "rights", "language")},
                                         visibility=c.get("visibility", "private"), owner=self.owner,
                                         default_model=self.obj("model", c.get("default_model")))
        Membership.objects.create(collection=coll, user=self.owner, role=Role.OWNER)
        self.stamp(Collection, coll.pk, created_at=c.get("created_at"))
        return coll

    def document(self, coll: Collection, d: dict[str, Any]) -> None:
        doc = Document.objects.create(
            collection=coll, kind=d["kind"], title=d["title"], creator=d.get("creator", ""), date=d.get("date", ""),
            year_from=d.get("year_from"), year_to=d.get("year_to"), place=d.get("place", ""), language=d.get("language", ""),
            rights=d.get("rights", ""), source=d.get("source", ""), description=d.get("description", ""),
            created_by=self.user(d.get("created_by")),
        )
        self.objects["document"][d["key"]] = doc
        if d.get("tags"):
            doc.tags.set([Tag.objects.get_or_create(name=name)[0] for name in d["tags"]])
        if d.get("text"):
            t = d["text"]
            text = Text.objects.create(document=doc, content=t["content"], encoding=t.get("encoding", "utf-8"),
                                       original_filename=t.get("original_filename", ""), sha256=t.get("sha256", ""))
            self.stamp(Text, text.pk, created_at=t.get("created_at"))
        for p in d.get("pages", []):
            self.page(doc, p)
        for layer_data in d.get("layers", []):
            self.layer(doc, layer_data)
        self.stamp(Document, doc.pk, created_at=d.get("created_at"), updated_at=d.get("updated_at"))

    def page(self, doc: Document, p: dict[str, Any]) -> None:
        if p["image"] not in self.files:
            raise _bad(f"The archive lacks the image '{p['image']}' of page {p['key']}.", "archive_incomplete")
        image = check_image(self.files[p["image"]], p["image"])
        if image.sha256 != p["sha256"]:
            raise _bad(f"The image '{p['image']}' does not match its sha256.", "archive_checksum")
        page = Page.objects.create(document=doc, order=p["order"], image=self.stored.blob(image), width=p["width"],
                                   height=p["height"], original_filename=p.get("original_filename", ""),
                                   label=p.get("label", ""), iiif_source=p.get("iiif_source", ""))
        self.objects["page"][p["key"]] = page
        self.stamp(Page, page.pk, created_at=p.get("created_at"))
        for r in p.get("regions", []):
            region = Region.objects.create(page=page, kind=r.get("kind", "text"), order=r["order"], polygon=r["polygon"],
                                           external_id=str(r.get("external_id", ""))[:100],
                                           source=r["source"], created_by=self.user(r.get("created_by")),
                                           model_version=self.obj("model", r.get("model")),
                                           version=r.get("version", 1), retired=r.get("retired", False))
            self.objects["region"][r["key"]] = region
            self.stamp(Region, region.pk, created_at=r.get("created_at"))
        for ln in p.get("lines", []):
            line = Line.objects.create(page=page, region=self.obj("region", ln.get("region")), order=ln["order"],
                                       polygon=ln["polygon"], baseline=ln.get("baseline") or [], external_id=ln.get("external_id", ""),
                                       kind=str(ln.get("kind", ""))[:50],
                                       source=ln["source"], created_by=self.user(ln.get("created_by")),
                                       model_version=self.obj("model", ln.get("model")),
                                       version=ln.get("version", 1), retired=ln.get("retired", False))
            self.objects["line"][ln["key"]] = line
            self.stamp(Line, line.pk, created_at=ln.get("created_at"))
        for rev in p.get("geometry_revisions", []):
            GeometryRevision.objects.create(
                page=page, line=self.obj("line", rev.get("line")), region=self.obj("region", rev.get("region")),
                version=rev["version"], action=rev["action"], act=rev["act"], polygon=rev["polygon"],
                baseline=rev.get("baseline") or [], order=rev.get("order", 0), kind=rev.get("kind", ""),
                in_region=self.obj("region", rev.get("in_region")), retired=rev.get("retired", False), source=rev["source"],
                created_by=self.user(rev.get("created_by")), model_version=self.obj("model", rev.get("model")),
                created_at=_dt(rev["created_at"]), note=rev.get("note") or {})

    def layer(self, doc: Document, data: dict[str, Any]) -> None:
        layer = Layer.objects.create(document=doc, name=data["name"], kind=data["kind"], model_version=self.obj("model", data.get("model")),
                                     parameters=data.get("parameters") or {}, created_by=self.user(data.get("created_by")))
        self.stamp(Layer, layer.pk, created_at=data.get("created_at"))
        for i in data.get("inscriptions", []):
            target = i["target"]
            line = self.obj("line", target.get("line"))
            page = line.page if line is not None else self.obj("page", target.get("page"))
            ins = Inscription(
                layer=layer, kind=i["kind"], action=i["action"], document=doc, page=page, line=line, text=i["text"],
                created_by=self.user(i.get("created_by")), model_version=self.obj("model", i.get("model")),
                parameters=i.get("parameters") or {}, supersedes=self.obj("inscription", i.get("supersedes")),
                restored_from=self.obj("inscription", i.get("restored_from")), version=i["version"], is_current=i["is_current"],
                withdrawn=i["withdrawn"], confidence=i.get("confidence"), char_confidences=i.get("char_confidences"),
                char_frames=i.get("char_frames"), char_columns=i.get("char_columns"), extra=i.get("extra") or {},
                created_at=_dt(i.get("created_at")) or timezone.now(),
            )
            ins.target_key = f"line:{line.pk}" if line else f"page:{page.pk}" if page else f"document:{doc.pk}"
            # raw: this restores a recorded act; it is not a new version to re-anchor annotations on.
            ins.save_base(raw=True)
            self.objects["inscription"][i["key"]] = ins

    def annotations(self, coll: Collection) -> None:
        for d in self.data.get("documents", []):
            for a in d.get("annotations", []):
                ann = Annotation.objects.create(
                    collection=coll, document=self.obj("document", a["document"]), page=self.obj("page", a.get("page")),
                    line=self.obj("line", a.get("line")), motivation=a["motivation"], body=self.json_refs(a["body"]),
                    target=self.json_refs(a["target"]), version=a["version"], orphaned=a["orphaned"], withdrawn=a["withdrawn"],
                    created_by=self.user(a.get("created_by")), extra=a.get("extra") or {},
                )
                self.objects["annotation"][a["key"]] = ann
                ann.inscriptions.set([self.obj("inscription", k) for k in a.get("inscriptions", [])])
                ann.tags.set([Tag.objects.get_or_create(name=name)[0] for name in a.get("tags", [])])
                self.stamp(Annotation, ann.pk, created_at=a.get("created_at"), modified_at=a.get("modified_at"))
        # Versions after every annotation exists: a version's links may name a later annotation.
        for d in self.data.get("documents", []):
            for a in d.get("annotations", []):
                ann = self.objects["annotation"][a["key"]]
                for v in a.get("versions", []):
                    version = AnnotationVersion.objects.create(
                        annotation=ann, version=v["version"], action=v["action"], motivation=v["motivation"],
                        body=self.json_refs(v["body"]), target=self.json_refs(v["target"]), orphaned=v["orphaned"],
                        withdrawn=v["withdrawn"], created_by=self.user(v.get("created_by")), note=v.get("note") or {},
                    )
                    self.stamp(AnnotationVersion, version.pk, created_at=v.get("created_at"))

    def reflections(self, coll: Collection) -> None:
        from django.contrib.contenttypes.models import ContentType

        from inscription.annotations.rendering import find_citations
        from inscription.services.references import resolve

        for r in self.data.get("reflections", []):
            self.objects["reflection"][r["key"]] = Reflection.objects.create(
                collection=coll, title=r["title"], body="", version=r["version"], withdrawn=r["withdrawn"],
                created_by=self.user(r.get("created_by")))
        for r in self.data.get("reflections", []):
            reflection = self.objects["reflection"][r["key"]]
            reflection.body = self.markdown(r["body"])
            reflection.save(update_fields=["body"])  # a save, not update(): the search index hears of it
            for v in r.get("versions", []):
                body = self.markdown(v["body"])
                version = ReflectionVersion.objects.create(reflection=reflection, version=v["version"], action=v["action"],
                                                           title=v["title"], body=body, is_current=v["is_current"],
                                                           created_by=self.user(v.get("created_by")))
                self.stamp(ReflectionVersion, version.pk, created_at=v.get("created_at"))
                for cited in find_citations(body):
                    found = resolve(cited.ref)
                    if found is not None:
                        Citation.objects.create(version=version, reflection=reflection, ref=cited.ref, position=cited.number,
                                                content_type=ContentType.objects.get_for_model(type(found[1])), object_id=found[1].pk)
            self.stamp(Reflection, reflection.pk, created_at=r.get("created_at"), modified_at=r.get("modified_at"))


def import_collection(path, owner: AbstractBaseUser, slug: str | None = None) -> dict[str, Any]:
    """Restore the archive at ``path`` as a new collection owned by ``owner``; returns figures."""
    manifest, files = read_archive(path)
    data = manifest["archive"]
    stored = StoredFiles()
    try:
        with transaction.atomic():
            restorer = Restorer(data, files, owner, stored)
            restorer.models()
            coll = restorer.collection(slug)
            for d in data.get("documents", []):
                restorer.document(coll, d)
            restorer.annotations(coll)
            restorer.reflections(coll)
    except (KeyError, TypeError, ValueError) as exc:
        stored.discard()
        raise _bad(f"The archive data is incomplete or malformed: {type(exc).__name__}: {exc}.") from exc
    except BaseException:
        stored.discard()
        raise
    counts = {kind: len(objs) for kind, objs in restorer.objects.items()}
    return {"collection": coll.slug, "counts": counts, "created_users": restorer.created_users}
