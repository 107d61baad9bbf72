#!/usr/bin/env python3
"""Nextcloud's `php occ` user commands in the simulator (nextcloud.py; ctest
`nextcloud_conformance`, no root, no panel simulator): each answer as the admin manual ("User
commands", docs.nextcloud.com admin_manual/occ_users.html) and core/Command/User/*.php,
Group/AddUser.php print it, the refusals, and the secret canary.  Standard library only.

An installation is written into a temporary directory owned by the caller, who is then the
owner of config/config.php that occ requires."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nextcloud  # noqa: E402

PASSWORD = "canary-Pw-0123456789"


class OccUsers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.site = os.path.join(self.tmp.name, "nc")
        for rel, text in nextcloud.files(self.site, "db", "https://cloud.example/",
                                         "28.0.4").items():
            os.makedirs(os.path.dirname(os.path.join(self.site, rel)), exist_ok=True)
            with open(os.path.join(self.site, rel), "w") as f:
                f.write(text)

    def tearDown(self):
        self.tmp.cleanup()

    def occ(self, *words, password=None, via_stdin=True):
        """(exit, stdout, stderr) of `php occ WORDS` in the installation; PASSWORD reaches
        OC_PASS as the agent sends it: stdin, read and exported by the shell."""
        php = [sys.executable, "-B", os.path.join(HERE, "nextcloud.py"), "php", "occ"]
        env = {k: v for k, v in os.environ.items() if k != "OC_PASS"}
        if password is not None and via_stdin:
            cmd = ["sh", "-c", 'IFS= read -r OC_PASS && export OC_PASS && exec "$@"', "sh"]
            p = subprocess.run(cmd + php + list(words), cwd=self.site, env=env, timeout=60,
                               input=password + "\n", capture_output=True, text=True)
        else:
            if password is not None:
                env["OC_PASS"] = password
            p = subprocess.run(php + list(words), cwd=self.site, env=env, timeout=60,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def users(self):
        code, out, _ = self.occ("user:list", "--info", "--output=json")
        self.assertEqual(code, 0)
        return json.loads(out)

    def test_list_seeded_admin(self):
        """user:list --info --output=json: {uid: ListCommand::formatUsers' keys}, PHP's
        json_encode ('/' as '\\/'); without --info {uid: display name}; plain `  - uid: name`."""
        code, out, _ = self.occ("user:list", "--info", "--limit=1000", "--output=json")
        self.assertEqual(code, 0)
        self.assertIn("\\/", out)
        admin = json.loads(out)["admin"]
        self.assertEqual(set(admin), {"user_id", "display_name", "email", "cloud_id", "enabled",
                                      "groups", "quota", "first_seen", "last_seen",
                                      "user_directory", "backend"})
        self.assertEqual((admin["user_id"], admin["enabled"], admin["groups"]),
                         ("admin", True, ["admin"]))
        self.assertEqual(json.loads(self.occ("user:list", "--output=json")[1]),
                         {"admin": "admin"})
        self.assertEqual(self.occ("user:list")[1], "  - admin: admin\n")
        self.assertTrue(nextcloud.check_password(self.site, "admin",
                                                 nextcloud.SEED_ADMIN_PASSWORD))

    def test_add_with_password_from_env(self):
        """user:add --password-from-env --group G: the messages of Add.php, the group created,
        the password stored as a hash that check_password accepts."""
        code, out, _ = self.occ("user:add", "--password-from-env", "--group=editors", "--",
                                "bob", password=PASSWORD)
        self.assertEqual(code, 0, out)
        self.assertEqual(out, 'The user "bob" was created successfully\nCreated group '
                              '"editors"\nUser "bob" added to group "editors"\n')
        bob = self.users()["bob"]
        self.assertEqual((bob["enabled"], bob["groups"], bob["email"]), (True, ["editors"], ""))
        self.assertTrue(nextcloud.check_password(self.site, "bob", PASSWORD))
        self.assertFalse(nextcloud.check_password(self.site, "bob", PASSWORD + "x"))
        self.assertNotIn(PASSWORD, open(os.path.join(self.site, nextcloud.USERS)).read())
        code, out, _ = self.occ("user:add", "--password-from-env", "bob", password=PASSWORD)
        self.assertEqual((code, out), (1, 'The user "bob" already exists.\n'))

    def test_add_refusals(self):
        """No OC_PASS, an empty one, no --password-from-env without a terminal, a short one
        (password_policy, INF), a bad uid, an unknown option: exit 1, nothing created."""
        cases = [
            (("user:add", "--password-from-env", "a1"), None,
             "--password-from-env given, but OC_PASS is empty!\n"),
            (("user:add", "--password-from-env", "a2"), "",
             "--password-from-env given, but OC_PASS is empty!\n"),
            (("user:add", "a3"), PASSWORD,
             "Interactive input or --password-from-env is needed for entering a password!\n"),
            (("user:add", "--password-from-env", "a4"), "short",
             "Password needs to be at least 10 characters long.\n"),
            (("user:add", "--password-from-env", "a/5"), PASSWORD,
             'Only the following characters are allowed in a username: "a-z", "A-Z", "0-9", '
             'spaces and "_.@-\'"\n'),
        ]
        for words, password, msg in cases:
            with self.subTest(words=words):
                code, out, _ = self.occ(*words, password=password, via_stdin=False)
                self.assertEqual((code, out), (1, msg))
        code, _, err = self.occ("user:add", "--pass", "x")
        self.assertEqual(code, 1)
        self.assertIn('The "--pass" option does not exist.', err)
        self.assertEqual(list(self.users()), ["admin"])

    def test_disable_enable_delete_resetpassword_adduser(self):
        """Disable.php, Enable.php, ResetPassword.php, Delete.php (exit 0 for a missing user),
        Group/AddUser.php (group, then user, must exist)."""
        self.occ("user:add", "--password-from-env", "carol", password=PASSWORD)
        self.assertEqual(self.occ("user:disable", "--", "carol")[:2],
                         (0, "The specified user is disabled\n"))
        self.assertFalse(self.users()["carol"]["enabled"])
        self.assertEqual(self.occ("user:resetpassword", "--password-from-env", "--", "carol",
                                  password=PASSWORD + "2")[:2],
                         (0, "Successfully reset password for carol\n"))
        self.assertTrue(nextcloud.check_password(self.site, "carol", PASSWORD + "2"))
        self.assertEqual(self.occ("user:enable", "carol")[:2],
                         (0, "The specified user is enabled\n"))
        self.assertEqual(self.occ("group:adduser", "--", "nope", "carol")[:2],
                         (1, "group not found\n"))
        self.assertEqual(self.occ("group:adduser", "admin", "nobody")[:2],
                         (1, "user not found\n"))
        self.assertEqual(self.occ("group:adduser", "--", "admin", "carol")[0], 0)
        self.assertEqual(self.users()["carol"]["groups"], ["admin"])
        self.assertEqual(self.occ("user:setting", "--", "carol", "settings", "email",
                                  "c@example.com")[0], 0)
        self.assertEqual(self.users()["carol"]["email"], "c@example.com")
        for cmd in ("user:disable", "user:enable"):
            self.assertEqual(self.occ(cmd, "nobody")[:2], (1, "User does not exist\n"))
        self.assertEqual(self.occ("user:resetpassword", "--password-from-env", "nobody",
                                  password=PASSWORD)[:2], (1, "User does not exist\n"))
        self.assertEqual(self.occ("user:delete", "nobody")[:2], (0, "User does not exist\n"))
        self.assertEqual(self.occ("user:delete", "carol")[:2],
                         (0, "The specified user was deleted\n"))
        self.assertNotIn("carol", self.users())
        self.assertEqual(self.occ("user:disable")[0], 1)  # Not enough arguments

    def test_canary(self):
        """The fake php records its argv and fails loudly (exit 99) when OC_PASS's value is in
        its own argv or an ancestor's; the stdin way is clean."""
        code, out, err = self.occ("user:add", "--password-from-env", PASSWORD, password=PASSWORD)
        self.assertEqual(code, nextcloud.CANARY_EXIT)
        self.assertIn("SECRET CANARY", err)
        code, _, _ = self.occ("user:add", "--password-from-env", "dave", password=PASSWORD)
        self.assertEqual(code, 0)
        with open(os.path.join(self.site, nextcloud.OCC_LOG)) as f:
            runs = [json.loads(line) for line in f]
        self.assertEqual(runs[-1]["argv"][-4:], ["occ", "user:add", "--password-from-env", "dave"])
        self.assertEqual((runs[-1]["oc_pass_set"], runs[-1]["leak_pid"]), (True, None))
        self.assertIsNotNone(runs[-2]["leak_pid"])


if __name__ == "__main__":
    unittest.main()
