# A package with three outputs: bin/PNAME and its data in out, a README in doc, a header and a
# pkg-config file in dev (dev refers to out; out refers to neither).
{ pname, version, greeting }:
derivation {
  name = "${pname}-${version}";
  inherit pname version greeting;
  outputs = [ "out" "doc" "dev" ];
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [
    "-c"
    ''
      set -eu
      mkdir -p "$out/bin" "$out/share/$pname" "$doc/share/doc/$pname" "$dev/include" "$dev/lib/pkgconfig"
      printf '%s\n' "$greeting" > "$out/share/$pname/greeting"
      printf '#!/bin/sh\nexec cat %s\n' "$out/share/$pname/greeting" > "$out/bin/$pname"
      chmod 755 "$out/bin/$pname"
      printf '%s %s\n\nbin/%s prints its greeting; the header and pkg-config file are in the dev output.\n' \
        "$pname" "$version" "$pname" > "$doc/share/doc/$pname/README"
      printf '#define GREETING_FILE "%s"\n' "$out/share/$pname/greeting" > "$dev/include/$pname.h"
      printf 'Name: %s\nVersion: %s\nDescription: %s\nCflags: -I%s\n' "$pname" "$version" "$pname" "$dev/include" \
        > "$dev/lib/pkgconfig/$pname.pc"
    ''
  ];
}
