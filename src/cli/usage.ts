/** Usage texts. Kept next to each other so the option lists stay consistent across commands. */

const CLIENT = `Connection:
  --server URL         kiln server (env KILN_SERVER, default http://127.0.0.1:7070)
  --token TOKEN        API token (env KILN_TOKEN; else read from DIR/admin.token)
  --data DIR           read the admin token from DIR/admin.token (default ./.kiln if present)`;

const OVERVIEW = `kiln: a self-hosted Nix build platform

Usage: kiln COMMAND [OPTIONS]

Commands:
  serve     run the server (API, caches, build workers)
  build     submit a build, optionally wait for it or follow its log
  status    show one build
  logs      print a build's log
  cancel    cancel a build
  image     push an OCI image of a finished build's outputs
  list      list builds
  stats     build statistics
  cleanup   delete old builds
  push      upload store paths and their closures to a cache
  cache     binary caches: create, info, list, rotate-key, retention, gc, pin, unpin, pins
  token     cache and admin tokens: create, list, revoke
  store     this machine's Nix store: optimise
  template  build templates: list, show, add, remove
  prefetch  hash a URL, file, directory or git revision as Nix would (runs locally)
  bump      new version of a .nix package: every hash recomputed, built, verified (runs locally)
  sync      version syncs: a release bumps a repository's package and pushes a branch
  project   projects: a Git repository built on push (add, edit, list, show, remove, build)
  workers   build workers registered with the server: slots, load, alive
  migrate   apply the database's pending migrations (SQLite or PostgreSQL)
  help      show help for a command

Run 'kiln help COMMAND' or 'kiln COMMAND --help' for details.

Exit codes: 0 success; 1 a waited-for build did not succeed, or a server/network error;
2 bad input (usage errors and requests the server rejected with a 4xx status).`;

const TOPICS: Record<string, string> = {
  migrate: `Usage: kiln migrate [--data DIR] [--database URL]

Applies the pending schema migrations of kiln's database and prints each one applied. Servers also
migrate on start; running it first (or again) is safe, also while servers use the database.

Options:
  --data DIR           state directory: SQLite at DIR/kiln.db unless a database URL is given
                       (default ./.kiln)
  --database URL       PostgreSQL (postgres://USER:PASSWORD@HOST:PORT/DB); env KILN_DATABASE_URL,
                       which keeps a password out of the process list`,

  serve: `Usage: kiln serve [--data DIR] [--listen HOST:PORT] [--concurrency N] [--role ROLE] [--nix-store DIR]
                  [--builders FILE] [--substituter URL]... [--trusted-public-key KEY]...
                  [--database URL]

Runs the API, web UI, binary caches and build workers in one process; all state lives under DIR.
On first start an admin token is written to DIR/admin.token (mode 0600).

Options:
  --data DIR           state directory (default ./.kiln)
  --listen HOST:PORT   address to listen on (default 127.0.0.1:7070; port 0 picks a free port)
  --concurrency N      builds run at the same time
  --role ROLE          all (default), api (API and web UI, no builds), worker (builds and
                       /healthz only) or cache (binary cache routes only); env KILN_ROLE
  --nix-store DIR      this worker's own Nix store (a chroot store, or a URL like local?root=DIR)
  --builders FILE      a Nix machines file: Nix sends builds to these remote builders
  --substituter URL    a binary cache to substitute from, e.g. SERVER/cache/main (repeatable)
  --trusted-public-key KEY   a key substituted paths may be signed with (repeatable)
  --database URL       keep builds, logs, tokens and caches in PostgreSQL
                       (postgres://USER:PASSWORD@HOST:PORT/DB) instead of SQLite at DIR/kiln.db;
                       env KILN_DATABASE_URL, which keeps a password out of the process list

Stops cleanly on SIGINT or SIGTERM.`,

  build: `Usage: kiln build SOURCE [OPTIONS]

SOURCE is one of:
  --file PATH.nix      a Nix file (read by this client and sent to the server)
  --expr 'EXPRESSION'  a Nix expression
  --git URL            a Git repository (https, ssh, git@host:path): its flake, or default.nix
    --ref REF            branch, tag or full commit SHA (default: the repository's HEAD)
    --attr ATTR          flake output (a bare name is packages.<system>.NAME; default
                         packages.<system>.default) or default.nix attribute
    --git-token-file F   access token for HTTPS (read here, sealed on the server, never logged)
    --ssh-key-file F     SSH private key (checked against the server's known_hosts)
    --submodules         also clone submodules
  --template NAME      a template (kiln template list), with --set KEY=VALUE (repeatable)
                       and optionally --template-version V

Options:
  --env NAME=VALUE     builder environment variable (repeatable)
  --timeout SECONDS    fail the build when it runs longer
  --max-silent SECONDS fail the build when it prints nothing for this long
  --system SYSTEM      build for this system, e.g. x86_64-linux (repeatable: one build each)
  --image REGISTRY/REPO[:TAG]
                       push an OCI image of the outputs (tagged also with the build id and a
                       UTC timestamp); plain HTTP for loopback registries
  --entrypoint ARG     the image's Entrypoint, one argument per use (repeatable); also
  --cmd ARG, --image-env K=V, --port 8080[/udp], --workdir DIR, --user U
  --deploy-hook URL    after the image is pushed, POST to URL (HMAC-SHA256 signed in
                       X-Kiln-Signature-256, retried); the repository's 'current' tag moves
                       to the image only when every step, this one included, succeeded
  --group GROUP        concurrency group (case-insensitive): at most one run in progress and
                       one pending; a newer pending run supersedes the older one
  --cancel-in-progress with --group: a new run also cancels the one in progress
  --queue              with --group: keep every pending run and run them in order
  --service ID         the service the build belongs to (statistics, last good image)
  --label KEY=VALUE    label the build (repeatable)
  --priority N         -100..100, higher runs first (write --priority=-5 for negative values)
  --push CACHE         after a successful build, push the outputs' closure to the server's CACHE
  --wait               wait until the build ends and print a summary
  --follow             like --wait, streaming the build log meanwhile
  --json               print JSON: the build (or {groupId, status, builds} for several systems)

Without --wait or --follow the build id is printed and kiln returns at once.
With --wait or --follow the exit code is 0 only when every build succeeded.

${CLIENT}`,

  status: `Usage: kiln status ID [--json]

Shows a build: status, timings, outputs, closure size, error and steps.

${CLIENT}`,

  logs: `Usage: kiln logs ID [--follow]

Prints the build's log. With --follow, keeps streaming until the build ends.

${CLIENT}`,

  cancel: `Usage: kiln cancel ID [--json]

Cancels a pending or running build.

${CLIENT}`,

  image: `Usage: kiln image ID --image REGISTRY/REPO[:TAG] [--current] [--json]

Builds an OCI image of a succeeded build's outputs and pushes it, tagged also with the build id
and a UTC timestamp; the build record then shows its digest. Registry failures exit 1.

Options:
  --image REF          where to push (required)
  --current            also point the repository's 'current' tag at it (a rollback)
  --entrypoint ARG, --cmd ARG, --image-env K=V, --port P, --workdir DIR, --user U
                       the image's runtime settings (as for kiln build)
  --json               print the build, with its image

${CLIENT}`,

  list: `Usage: kiln list [--status S[,S...]] [--service ID] [--limit N] [--json]

Lists builds, newest first: ID, STATUS, SOURCE, SERVICE, CREATED, DURATION.

Options:
  --status S           only these statuses (pending, running, succeeded, failed, cancelled,
                       timed_out, superseded, dependency_failed); comma-separated or repeated
  --service ID         only this service's builds
  --limit N            at most N builds (1..500, default 50)
  --json               print the API response {builds, nextBefore}

${CLIENT}`,

  stats: `Usage: kiln stats [--service ID] [--label KEY=VALUE] [--json]

Build counts by status, success rate, average build time and artifact size, queue and workers.

${CLIENT}`,

  workers: `Usage: kiln workers [--all] [--json]

Build workers registered with the server (kiln serve --role worker or all): node, systems, busy
slots over all slots, Nix store, version and last heartbeat. A worker is alive while its last
heartbeat is within the server's worker timeout.

Options:
  --all, -a            also list workers that stopped heartbeating
  --json               print the server's answer as JSON

${CLIENT}`,

  cleanup: `Usage: kiln cleanup --older-than DURATION [--dry-run] [--json]

Deletes finished builds older than DURATION (e.g. 30d, 12h, 90m, 45s, 2w) and their GC roots.
The newest successful build of each service is kept.

Options:
  --older-than DURATION  age limit (required)
  --dry-run              only report what would be deleted
  --json                 print the API response

${CLIENT}`,

  push: `Usage: kiln push CACHE PATH... [--jobs N] [--json]

Uploads each PATH (a store path, or a link to one such as ./result) with its whole closure to the
server's cache CACHE. Paths the cache already has are skipped; each path's narinfo is uploaded only
after those of its references. Needs a token with push permission for CACHE.

Options:
  --jobs N             NARs compressed and uploaded at once (1..64, default 8)
  --json               print the summary as JSON: pushed, alreadyPresent, bytesUploaded, …

${CLIENT}`,

  cache: `Usage: kiln cache SUBCOMMAND [OPTIONS]

Binary caches served at SERVER/cache/NAME (a Nix substituter URL and a 'nix copy --to' target).

Subcommands:
  create NAME [--private] [--priority N] [--retention DAYS]
                       create a cache with its own signing key; prints the public key
                       (NAME-1:...) as the last line. --private: reads need a pull token
  info NAME            keys, trusted-public-keys, paths, bytes, hit rate, uploads
  list                 every cache
  rotate-key NAME [--overlap DURATION]
                       a new key signs from now on; the old one keeps signing for the
                       overlap (default: the server's, 7d) so clients can trust the new one
  retention NAME DAYS  paths not fetched or pushed for DAYS go at the next GC ('never' keeps)
  gc NAME [--dry-run] [--older-than DURATION]
                       collect garbage now (--dry-run reports what would go and the bytes;
                       --older-than 30d collects with that retention instead of the cache's)
  pin NAME PATH        keep a path and its closure whatever the retention
  unpin NAME PATH      undo a pin
  pins NAME            list the pinned paths

On the server's machine, against its data directory (--data DIR, default ./.kiln):
  warm NAME PACKAGE... [--worker ID]
                       realise store paths, .drv files or expressions here and push their
                       closures to the cache
  worker-config ID [--cache-url URL] [--local-cache NAME] [--shared-store | --private-store]
                [--trust KEY]... [--listen HOST:PORT]
                       store worker ID's cache settings (substituters, trusted keys, store)
                       centrally; the worker (KILN_NODE_ID=ID) applies them when it starts.
                       With --server or KILN_SERVER through the API; else here, against --data,
                       also writing DATA/workers/ID/nix.conf (NIX_CONF_DIR=DATA/workers/ID)
  worker-config ID --show | --clear
                       print or remove worker ID's central cache settings (through the API)

Options:
  --json               print the API response

${CLIENT}`,

  token: `Usage: kiln token SUBCOMMAND [OPTIONS]

Subcommands:
  create --cache NAME --perm pull|push|admin [--ttl DURATION] [--description TEXT]
                       a token for one cache (push includes pull, admin includes push and
                       manages the cache); --perm admin without --cache: a server admin token.
                       The token is printed once, on stdout
  list [--cache NAME]  tokens (never their secrets)
  revoke ID            revoke at once

Tokens work as 'Authorization: Bearer TOKEN' and as the password of HTTP Basic auth, so a
netrc line 'machine HOST login kiln password TOKEN' lets nix pull from and push to a cache.

Options:
  --json               print the API response

${CLIENT}`,

  store: `Usage: kiln store optimise [--data DIR] [--json]

Runs nix-store --optimise on this machine (hard-links identical files) and reports what it freed.`,

  template: `Usage: kiln template SUBCOMMAND [OPTIONS]

Subcommands:
  list                 templates: kiln's built-ins and those added, newest version of each
  show NAME [--version V]
                       a template's parameters (type, default, rules), environment, expression
  add FILE.json        add a template, or a higher version of one; "expressionFile" in the
                       definition is read relative to FILE.json (see docs/templates.md)
  remove NAME [--version V]
                       remove one version, or every version (built-ins cannot be removed)

Build from a template with 'kiln build --template NAME --set KEY=VALUE'.

Options:
  --json               print the API response

${CLIENT}`,

  prefetch: `Usage: kiln prefetch URL_OR_PATH [--unpack] [--json] [--name NAME] [--rev REV]
                     [--type sha256|sha512|sha1|md5]

Computes, on this machine and without a server, the hash and store path Nix would give:
  http(s)://… or file://…   the downloaded file, as nix-prefetch-url (with --unpack: the
                            unpacked tar/tar.gz/tar.xz/tar.bz2/tar.zst/zip, as
                            nix-prefetch-url --unpack: a single top-level directory is stripped)
  PATH                      a file as above; a directory as a NAR (nix hash path)
  git+URL --rev REV         the checked-out revision without .git, as nixpkgs' fetchgit
                            (any URL with --rev is a git repository)

Options:
  --unpack             unpack the archive and hash the tree
  --name NAME          store path name (default: the URL's or path's base name; git: source)
  --rev REV            git commit, branch or tag
  --type ALGO          hash algorithm (default sha256)
  --json               print hash (SRI), sri, nix32, hex, base64, algo, method, name,
                       storePath and source as one JSON object

Prints the SRI hash (e.g. sha256-…=). Exit codes: 2 bad input, 1 download, archive or git failure.`,

  bump: `Usage: kiln bump FILE --version VERSION [--entry FILE.nix] [--attr ATTR] [--system SYSTEM]...
                 [--verify 'COMMAND'] [--commit [--branch NAME] | --dry-run] [--json]

Updates a package file on this machine (real Nix and Git, no server):
  1. sets the version attribute (the file is parsed; every byte around the edits is kept),
  2. prefetches the new source (src.url or src.urls, unpacked when the fetcher unpacks; Git
     sources at src.rev) and writes its hash, per system for per-system hash sets,
  3. builds; every other fixed-output hash (vendorHash, cargoHash, npmDepsHash, outputHash, …)
     is emptied and set to what Nix reports ({drv, specified, got}), round after round,
  4. fetches every fixed-output derivation whose hash the file sets again (nix-store --check),
     so no hash passes on old store contents (the stale-hash guard),
  5. runs --verify next to 'result' (e.g. 'result/bin/app --version'),
  6. writes the file, or with --commit commits it on a new branch made from HEAD (the work
     tree and the checked-out branch are left alone).
All of this happens in a private copy of the project: on any failure the file is untouched.

Options:
  --entry FILE.nix     the file that evaluates to the package (default: FILE); a function is
                       called with {}
  --attr, -A ATTR      the package's attribute inside the entry's value
  --system SYSTEM      build and verify for SYSTEM (repeatable; default: this machine's)
  --verify 'COMMAND'   smoke command, run without a shell in a directory holding 'result'
  --commit             commit on branch kiln/bump-NAME-VERSION (or --branch NAME)
  --dry-run            print the diff; write nothing
  --json               one JSON object: versions, every hash (old, new, how, verified),
                       Nix's mismatch reports, outputs, the verify evidence, diff, branch

Progress goes to stderr.`,

  sync: `Usage: kiln sync add NAME --git URL --file PATH [--ref BRANCH] [--entry PATH] [--attr ATTR]
                     [--verify 'COMMAND'] [--system SYSTEM]... [--branch TEMPLATE]
                     [--tag-pattern REGEX] [--git-token-file FILE] [--webhook-secret-file FILE]
       kiln sync list [--json]
       kiln sync show NAME [--json]
       kiln sync remove NAME
       kiln sync run NAME --version VERSION [--wait | --follow] [--json]

A version sync bumps one .nix file of a Git repository to each new release, on the server:
clone the base branch, set the version and recompute every hash (as kiln bump), build and run
the smoke command, commit on a new branch and push it with the token. A run is a build:
kiln status, kiln logs --follow and kiln cancel work on it, and its record keeps the evidence
(hashes old and new, Nix's mismatch reports, outputs, smoke output, branch, commit, diff).

Runs start with 'kiln sync run', or from the forge: point a GitHub, Gitea or GitLab webhook
(release and tag push events, JSON) at SERVER/api/v1/hooks/version-sync/NAME with the webhook
secret. Deliveries are checked by signature (X-Hub-Signature-256, X-Gitea-Signature,
X-Gitlab-Token); a new tag matching --tag-pattern starts a run, a redelivery does not.

add options:
  --git URL                  the repository (https, ssh or git@host:path)
  --file PATH                the .nix file to bump, relative to the repository root
  --ref BRANCH               base branch (default: the remote HEAD)
  --entry PATH, --attr ATTR  how to reach the package (see kiln bump)
  --verify 'COMMAND'         smoke command run next to 'result'
  --system SYSTEM            build and verify for SYSTEM (repeatable)
  --branch TEMPLATE          branch to push, with {name} and {version}
                             (default kiln/bump-{name}-{version})
  --tag-pattern REGEX        its first group turns a tag into a version (default ^v?(\\d.*)$)
  --git-token-file FILE      token to clone and push (sealed on the server, never shown)
  --webhook-secret-file FILE the webhooks' shared secret (sealed, never shown)
run options:
  --version VERSION          the version to bump to
  --wait, --follow, --json   as for kiln build

${CLIENT}`,

  project: `Usage: kiln project add NAME --repo URL [SETTINGS]
       kiln project edit NAME [SETTINGS] [--unset NAME[,NAME...]]
       kiln project list [--json]
       kiln project show NAME [--json]
       kiln project remove NAME
       kiln project build NAME [--branch B | --tag T] [--commit SHA] [--wait | --follow] [--json]

A project is a Git repository the server builds when the forge reports a push: point a GitHub,
GitLab or Gitea webhook (push events, and GitLab's tag push events; content type
application/json) at SERVER/api/v1/hooks/projects/NAME with the project's webhook secret. When
you give no --webhook-secret-file, 'add' generates one and prints it once. A run builds every
derivation of the chosen flake outputs for each system (one child build each), or the attributes,
or a template; it joins the branch's concurrency group (by default one per project and branch).

Settings (add; with edit, each one given replaces the stored one):
  --repo URL                 the repository (https, ssh or git@host:path)
  --branch PATTERN           branches whose pushes build (repeatable; globs: *, ** across '/';
                             default *)
  --tag PATTERN              tags whose pushes build (repeatable; default: none)
  --outputs LIST             flake outputs to build: packages,checks,devShells (default: all)
  --attr ATTR                build these attributes instead (repeatable)
  --template NAME            build a template instead, with --set KEY=VALUE (repeatable; values
                             may use {url}, {ref}, {branch} and {commit})
  --system SYSTEM            build for SYSTEM (repeatable; default: the server's)
  --push CACHE               push each run's outputs to the server's CACHE
  --image REGISTRY/REPO      push an image of the outputs, tagged with the branch (one --attr)
  --deploy-hook URL          POST (signed) after the image is pushed
  --concurrency-group G      the group key, with {project}, {branch}, {ref}
                             (default {project}/{branch})
  --cancel-in-progress       a new run also cancels the group's running one
  --no-cancel-in-progress    (edit) stop doing so
  --queue                    every run waits its turn instead of superseding the pending one
                             (not with --cancel-in-progress)
  --replace                  (edit) back to the default: a newer run supersedes the pending one
  --notify-url URL           POST a signed JSON event when a run finishes
  --notify-secret-file FILE  its HMAC key (default: generated and printed once)
  --status-forge github|gitea --status-api URL --status-token-file FILE
                             post commit statuses to the forge
  --git-token-file FILE      token to clone a private repository over HTTPS
  --ssh-key-file FILE        or an SSH private key
  --webhook-secret-file FILE the forge webhook's secret (default: generated and printed once)
  --timeout SECONDS          each build's time limit
  --unset NAME               (edit) remove a setting or secret: push, image, deploy-hook,
                             notify-url, commit-status, timeout, git-token, ssh-key,
                             webhook-secret, notify-secret, status-token
Secrets are read from files by this client, sealed on the server and never shown again
('kiln project show' says only whether each one is set).

build options:
  --branch B, --tag T        what to build (default: the repository's HEAD)
  --commit SHA               build this commit (its full id) of the branch or tag
  --wait, --follow           wait for the run, its matrix included (--follow streams the logs)
  --json                     print {groupId, status, builds}: the submitted builds, then the
                             matrix's children

${CLIENT}`,

  help: `Usage: kiln help [COMMAND]

Shows the overview, or the usage of COMMAND.`,
};

export function usageText(topic: string | undefined): string {
  if (topic === undefined) return OVERVIEW;
  return TOPICS[topic] ?? OVERVIEW;
}
