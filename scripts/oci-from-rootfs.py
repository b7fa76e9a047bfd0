#!/usr/bin/env python3
"""Wrap a root filesystem into a single-layer OCI image archive, reproducibly.

Usage: oci-from-rootfs.py (--dir DIR | --tar TAR) --ref NAME:TAG --out OUT.tar
                          [--cmd ARG ...] [--env K=V ...] [--epoch N]

The same input always gives the same bytes: entries sorted, owners 0:0 unless the
input tar says otherwise, mtimes clamped to the epoch, gzip with no name or time.
"""
import argparse, gzip, hashlib, io, json, os, stat, tarfile


def clamp(info, epoch):
    info.mtime = min(int(info.mtime), epoch)
    info.pax_headers = {}
    return info


def layer_from_dir(root, epoch):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        paths = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                paths.append(os.path.join(dirpath, name))
        for path in sorted(paths, key=lambda p: os.path.relpath(p, root)):
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, root))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            clamp(info, epoch)
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def layer_from_tar(path, epoch):
    buf = io.BytesIO()
    with tarfile.open(path) as src, tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        members = sorted(src.getmembers(), key=lambda m: m.name.lstrip("./"))
        for info in members:
            name = info.name[2:] if info.name.startswith("./") else info.name
            if name in ("", "."):
                continue
            info.name = name
            clamp(info, epoch)
            tar.addfile(info, src.extractfile(info) if info.isreg() else None)
    return buf.getvalue()


def blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return digest, data


def main():
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--dir")
    src.add_argument("--tar")
    ap.add_argument("--ref", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cmd", nargs="*", default=["/bin/sh"])
    ap.add_argument("--env", action="append", default=["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
    ap.add_argument("--epoch", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    a = ap.parse_args()

    raw = layer_from_dir(a.dir, a.epoch) if a.dir else layer_from_tar(a.tar, a.epoch)
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", filename="", mtime=0, compresslevel=9) as g:
        g.write(raw)
    layer = gz.getvalue()
    created = __import__("datetime").datetime.fromtimestamp(a.epoch, __import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = json.dumps({
        "created": created,
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": a.env, "Cmd": a.cmd},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": f"flareo oci-from-rootfs {a.ref}"}],
    }, sort_keys=True, separators=(",", ":")).encode()
    layer_d = "sha256:" + hashlib.sha256(layer).hexdigest()
    config_d = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_d, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_d, "size": len(layer)}],
    }, sort_keys=True, separators=(",", ":")).encode()
    manifest_d = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_d, "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": a.ref.split(":")[-1]},
        }],
    }, sort_keys=True, separators=(",", ":")).encode()

    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)]
    for d, data in sorted([(layer_d, layer), (config_d, config), (manifest_d, manifest)]):
        files.append(("blobs/sha256/" + d.split(":")[1], data))
    tmp = a.out + ".part"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as out:
        for dname in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(dname)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, a.epoch
            out.addfile(info)
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, a.epoch
            out.addfile(info, io.BytesIO(data))
    os.replace(tmp, a.out)
    print(manifest_d)


if __name__ == "__main__":
    main()
