"""Real mail clients against Mailpen's POP3 and IMAP servers: curl, mpop retrieving an inbox into an mbox
file, and mbsync (isync) mirroring an inbox into a Maildir and syncing flags back. Every message a client
stores must be the bytes of `/raw`, in the line-ending convention of the local format (LF)."""
import email
import glob
import os
import re
import shutil
import subprocess

import pytest

import mailaccess
from mailaccess import PASSWORD, lf

# Bodies that exercise dot-stuffing, mbox From-quoting, long lines and 8-bit text.
BODIES = [
    "Plain.\r\n",
    ".starts with a dot\r\n..two dots\r\n.\r\nafter a lone dot\r\n",
    "From the start of a line\r\n>From quoted already\r\n>>From twice\r\n",
    "x" * 990 + "\r\n" + "long line above\r\n",
    "8-bit: caf\u00e9 \u00fcber \u65e5\u672c\r\n",
]


def fill(server, inbox="shop"):
    ids = []
    for number, body in enumerate(BODIES):
        ids += mailaccess.send(server, inbox, [f"client test {number}"], body=body)
    return ids


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (scripts/install-deps.sh installs it)")


def test_curl_lists_and_fetches_over_pop3_and_imap(make_server):
    need("curl")
    server = mailaccess.start(make_server)
    ids = fill(server)
    raws = [mailaccess.raw(server, i) for i in ids]
    user = ["-u", f"shop:{PASSWORD}", "--silent", "--show-error", "--max-time", "30"]

    listing = subprocess.run(["curl", *user, f"pop3://127.0.0.1:{server.pop3}/"], capture_output=True, check=True)
    assert listing.stdout.split(b"\r\n")[:-1] == [f"{n} {len(r)}".encode() for n, r in enumerate(raws, start=1)]
    for number, raw in enumerate(raws, start=1):
        fetched = subprocess.run(
            ["curl", *user, f"pop3://127.0.0.1:{server.pop3}/{number}"], capture_output=True, check=True)
        assert fetched.stdout == raw
    uidl = subprocess.run(["curl", *user, "-X", "UIDL", f"pop3://127.0.0.1:{server.pop3}/"],
                          capture_output=True, check=True)
    assert [line.split()[1].decode() for line in uidl.stdout.split(b"\r\n")[:-1]] == ids

    mailboxes = subprocess.run(["curl", *user, f"imap://127.0.0.1:{server.imap}/"], capture_output=True, check=True)
    assert mailboxes.stdout == b'* LIST (\\HasNoChildren) "/" INBOX\r\n'
    search = subprocess.run(["curl", *user, f"imap://127.0.0.1:{server.imap}/INBOX?ALL"],
                            capture_output=True, check=True)
    assert search.stdout == b"* SEARCH 1 2 3 4 5\r\n"
    uid_search = subprocess.run(["curl", *user, "-X", "UID SEARCH ALL", f"imap://127.0.0.1:{server.imap}/INBOX"],
                                capture_output=True, check=True)
    message_uids = uid_search.stdout.split()[2:]
    assert len(message_uids) == 5
    for number, (uid, raw) in enumerate(zip(message_uids, raws), start=1):
        by_uid = subprocess.run(["curl", *user, f"imap://127.0.0.1:{server.imap}/INBOX;UID={uid.decode()}"],
                                capture_output=True, check=True)
        assert by_uid.stdout == raw
        by_index = subprocess.run(["curl", *user, f"imap://127.0.0.1:{server.imap}/INBOX;MAILINDEX={number}"],
                                  capture_output=True, check=True)
        assert by_index.stdout == raw
    # curl fetches with BODY[], which sets \Seen: Mailpen's read flag.
    assert all(m["read"] for m in mailaccess.inbox_messages(server, "shop"))


def mbox_messages(path):
    """The messages of an MBOXRD file, From_ lines dropped and quoting undone."""
    with open(path, "rb") as f:
        data = f.read()
    messages = []
    for chunk in re.split(rb"(?m)^From [^\n]*\n", data)[1:]:
        # Each message is followed by the blank line mbox puts before the next From_ line.
        assert chunk.endswith(b"\n\n")
        chunk = chunk[:-1]
        messages.append(re.sub(rb"(?m)^>(>*From )", rb"\1", chunk))
    return messages


def test_mpop_retrieves_an_inbox_into_an_mbox_file(make_server, workdir):
    need("mpop")
    server = mailaccess.start(make_server, ("pop3",))
    ids = fill(server)
    raws = [mailaccess.raw(server, i) for i in ids]
    mbox = os.path.join(workdir, "inbox.mbox")
    config = os.path.join(workdir, "mpoprc")
    with open(config, "w") as f:
        f.write(f"""defaults
tls off
auth user
received_header off
account mailpen
host 127.0.0.1
port {server.pop3}
user shop
password {PASSWORD}
delivery mbox {mbox}
uidls_file {workdir}/uidls
keep off
""")
    os.chmod(config, 0o600)
    result = subprocess.run(["mpop", "-C", config, "mailpen"], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert mbox_messages(mbox) == [lf(raw) for raw in raws]
    # mpop deleted what it retrieved (--pop3-delete defaults to delete).
    assert mailaccess.inbox_messages(server, "shop") == []

    # Only new mail comes on the next run.
    later = mailaccess.raw(server, mailaccess.send(server, "shop", ["later"])[0])
    result = subprocess.run(["mpop", "-C", config, "mailpen"], capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert mbox_messages(mbox) == [lf(raw) for raw in raws + [later]]


def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "cur", "*")) + glob.glob(os.path.join(path, "new", "*")))


def by_message_id(files):
    """The Maildir's messages by Message-ID, each without the X-TUID header mbsync adds to track what it
    copied (its only change to a message)."""
    out = {}
    for name in files:
        with open(name, "rb") as f:
            data = f.read()
        header, separator, body = data.partition(b"\n\n")
        data = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", header + b"\n", count=1)[:-1] + separator + body
        out[email.message_from_bytes(data)["Message-ID"]] = (name, data)
    return out


def test_mbsync_mirrors_an_inbox_into_a_maildir_and_syncs_flags_back(make_server, workdir):
    need("mbsync")
    server = mailaccess.start(make_server, ("imap",))
    ids = fill(server)
    raws = {email.message_from_bytes(r)["Message-ID"]: r for r in (mailaccess.raw(server, i) for i in ids)}
    maildir = os.path.join(workdir, "mail")
    os.makedirs(maildir)
    config = os.path.join(workdir, "mbsyncrc")
    with open(config, "w") as f:
        f.write(f"""IMAPAccount mailpen
Host 127.0.0.1
Port {server.imap}
User shop
Pass {PASSWORD}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account mailpen

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX

Channel inbox
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
""")

    def sync():
        result = subprocess.run(["mbsync", "-c", config, "-a"], capture_output=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert b"BAD" not in result.stderr and b"NO " not in result.stderr, result.stderr

    sync()
    mirrored = by_message_id(maildir_files(os.path.join(maildir, "INBOX")))
    assert set(mirrored) == set(raws)
    for message_id, (_, data) in mirrored.items():
        assert data == lf(raws[message_id])
    assert not any(m["read"] for m in mailaccess.inbox_messages(server, "shop"))  # mbsync peeks

    # Mark two messages seen and one trashed in the Maildir; mbsync carries that back.
    names = sorted(mirrored.items(), key=lambda item: item[1][0])
    seen = [message_id for message_id, _ in names[:2]]
    trashed = names[2][0]

    def set_flags(path, flags):
        base = os.path.basename(path).split(":2,")[0]
        target = os.path.join(os.path.dirname(os.path.dirname(path)), "cur", f"{base}:2,{flags}")
        os.rename(path, target)

    for message_id in seen:
        set_flags(mirrored[message_id][0], "S")
    set_flags(mirrored[trashed][0], "T")
    sync()
    summaries = {m["id"]: m for m in mailaccess.inbox_messages(server, "shop")}
    by_id = {email.message_from_bytes(mailaccess.raw(server, i))["Message-ID"]: i for i in summaries}
    assert trashed not in by_id  # expunged on the server
    assert {message_id for message_id, i in by_id.items() if summaries[i]["read"]} == set(seen)

    # Read flags set in Mailpen reach the Maildir on the next sync, and new mail arrives.
    unread = [message_id for message_id in by_id if message_id not in seen]
    mailaccess.api(server, f"/api/v1/messages/{by_id[unread[0]]}", "PATCH", {"read": True})
    new_id = mailaccess.send(server, "shop", ["after the first sync"])[0]
    sync()
    mirrored = by_message_id(maildir_files(os.path.join(maildir, "INBOX")))
    new_raw = mailaccess.raw(server, new_id)
    assert mirrored[email.message_from_bytes(new_raw)["Message-ID"]][1] == lf(new_raw)
    assert mirrored[unread[0]][0].endswith("S")
    assert trashed not in mirrored
