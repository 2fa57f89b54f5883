#!/usr/bin/env bash
# Install the build beside H5KIT into WORKDIR/install/prefix and use it as a consumer would:
#  (a) compile a small C program with `pkg-config --cflags --libs h5kit`;
#  (b) build the same program with CMake: find_package(h5kit REQUIRED) + h5kit::h5kit.
# Each program opens demo/sample.h5 with h5k_open (must succeed) and a missing file (must return
# H5K_ENOTFOUND), then runs. A sanitizer build is consumed with the same sanitizer flags.
#   bash tests/interop/test_install.sh H5KIT WORKDIR
set -u
. "$(dirname "$0")/lib.sh"
lib_setup "$@" install

build=$(dirname "$H5KIT")
[ -f "$build/CMakeCache.txt" ] || die "$build is not a CMake build directory"
prefix="$WORK/prefix"
rm -rf "$prefix" "$WORK/pc" "$WORK/cmake"
mkdir -p "$WORK/pc" "$WORK/cmake"

cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -1; }
cc=$(cache_value CMAKE_C_COMPILER)
[ -n "$cc" ] || cc=cc
san_flags=()
case $(cache_value H5KIT_SANITIZE) in
  ON | on | TRUE | true | 1) san_flags=(-fsanitize=address,undefined -fno-omit-frame-pointer) ;;
esac

step() {  # step LABEL LOGFILE CMD...: run CMD, pass or fail with the log's tail
  local label=$1 log=$2 rc
  shift 2
  "$@" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    pass
    return 0
  fi
  fail "$label" "failed (exit $rc; log: $log)"
  tail -15 "$log" | sed 's/^/    /'
  return 1
}

step "cmake --install $build --prefix $prefix" "$WORK/install.log" \
  cmake --install "$build" --prefix "$prefix" || finish

pcfile=$(find "$prefix" -name h5kit.pc -path '*/pkgconfig/*' | head -1)
[ -n "$pcfile" ] || { fail "install" "no pkgconfig/h5kit.pc under $prefix"; finish; }
libdir=$(dirname "$(dirname "$pcfile")")
[ -f "$prefix/include/h5kit.h" ] && pass || fail "install" "include/h5kit.h not installed"
[ -x "$prefix/bin/h5kit" ] && pass || fail "install" "bin/h5kit not installed"

cat >"$WORK/consumer.c" <<'CEOF'
/* A program that uses an installed h5kit through its public header only. */
#include <h5kit.h>
#include <stdio.h>

int main(int argc, char **argv) {
  h5k_file *f = NULL;
  int rc;
  if (argc != 3) {
    fprintf(stderr, "usage: consumer SAMPLE MISSING\n");
    return 2;
  }
  rc = h5k_open(&f, argv[1], NULL);
  if (rc != H5K_OK) {
    fprintf(stderr, "h5k_open(%s) = %d (%s): %s\n", argv[1], rc, h5k_strerror(rc), h5k_error_last());
    return 1;
  }
  h5k_close(f);
  f = NULL;
  rc = h5k_open(&f, argv[2], NULL);
  if (rc != H5K_ENOTFOUND) {
    fprintf(stderr, "h5k_open(%s) = %d, expected H5K_ENOTFOUND (%d)\n", argv[2], rc, H5K_ENOTFOUND);
    h5k_close(f);
    return 1;
  }
  printf("consumer: opened %s; missing file gives H5K_ENOTFOUND\n", argv[1]);
  return 0;
}
CEOF
sample="$REPO/demo/sample.h5"
missing="$WORK/no_such_file.h5"

# (a) pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
if flags=$(pkg-config --cflags --libs h5kit 2>"$WORK/pc/pkg-config.log"); then
  pass
  # shellcheck disable=SC2086  # pkg-config's output is a list of words
  if step "cc consumer.c \$(pkg-config --cflags --libs h5kit)" "$WORK/pc/compile.log" \
       "$cc" -std=c11 -Wall -Werror "${san_flags[@]}" -o "$WORK/pc/consumer" "$WORK/consumer.c" $flags; then
    step "pkg-config consumer run" "$WORK/pc/run.log" \
      env LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      "$WORK/pc/consumer" "$sample" "$missing"
  fi
else
  fail "pkg-config --cflags --libs h5kit" "$(head -1 "$WORK/pc/pkg-config.log")"
fi

# (b) CMake package
cat >"$WORK/cmake/CMakeLists.txt" <<CEOF
cmake_minimum_required(VERSION 3.18)
project(h5kit_consumer LANGUAGES C)
find_package(h5kit REQUIRED)
add_executable(consumer "$WORK/consumer.c")
target_link_libraries(consumer h5kit::h5kit)
CEOF
if step "cmake find_package(h5kit) configure" "$WORK/cmake/configure.log" \
     cmake -S "$WORK/cmake" -B "$WORK/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" \
       -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${san_flags[*]}" \
       -DCMAKE_EXE_LINKER_FLAGS="${san_flags[*]}"; then
  if step "cmake --build (h5kit::h5kit)" "$WORK/cmake/build.log" cmake --build "$WORK/cmake/build"; then
    step "cmake consumer run" "$WORK/cmake/run.log" "$WORK/cmake/build/consumer" "$sample" "$missing"
  fi
fi
finish
