# A static site: index.html with the title and a link per page, and one NAME.html per page.
# Parameter values reach the builder as derivation attributes (environment variables), never
# as shell code; HTML special characters in title and footer are escaped.
{ title, pages, footer }:
derivation {
  name = "static-site";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  inherit title pages footer;
  args = [
    "-c"
    ''
      set -eu
      esc() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
      t=$(esc "$title")
      lang=''${SITE_LANG:-en}
      mkdir -p "$out"
      {
        printf '<!doctype html>\n<html lang="%s"><head><meta charset="utf-8"><title>%s</title></head><body>\n' "$lang" "$t"
        printf '<h1>%s</h1>\n<ul>\n' "$t"
        for page in $pages; do printf '<li><a href="%s.html">%s</a></li>\n' "$page" "$page"; done
        printf '</ul>\n<footer>%s</footer>\n</body></html>\n' "$(esc "$footer")"
      } > "$out/index.html"
      for page in $pages; do
        printf '<!doctype html>\n<html lang="%s"><head><meta charset="utf-8"><title>%s</title></head><body>\n<h1>%s</h1>\n<p><a href="index.html">%s</a></p>\n</body></html>\n' "$lang" "$page" "$page" "$t" > "$out/$page.html"
      done
    ''
  ];
}
