# Codec libraries used by the built-in filters (src/filter/). Included from the top-level
# CMakeLists.txt after the library targets are defined:
#   include(cmake/codecs.cmake)
#
# Every codec is required (Debian 12: libdeflate-dev liblz4-dev libzstd-dev libblosc-dev
# liblzf-dev libaec-dev; scripts/deps.sh installs them). pkg-config is used as a hint when
# present; each library is then located with find_path/find_library.
#
# Results:
#   H5KIT_CODEC_LIBS        full paths of the codec libraries (plus libm), for targets built
#                           from the library's sources outside h5kit_obj (e.g. fuzz/)
#   H5KIT_PC_LIBS_PRIVATE   the -l flags a static link against h5kit needs (for h5kit.pc's
#                           Libs.private; no Requires.private, so pkg-config works even where a
#                           codec ships no .pc file, e.g. libaec/libsz)

find_package(PkgConfig QUIET)

set(H5KIT_CODEC_LIBS "")
set(H5KIT_CODEC_INCLUDE_DIRS "")
set(H5KIT_PC_LIBS_PRIVATE "")

# h5kit_codec(NAME HEADER PKG LIBNAMES...): find one codec; LIBNAMES[0] is the -l name.
function(h5kit_codec name header pkg)
  set(libnames ${ARGN})
  list(GET libnames 0 lname)
  set(hint_inc "")
  set(hint_lib "")
  if(PKG_CONFIG_FOUND AND NOT "${pkg}" STREQUAL "")
    pkg_check_modules(H5KIT_PC_${name} QUIET ${pkg})
    if(H5KIT_PC_${name}_FOUND)
      set(hint_inc ${H5KIT_PC_${name}_INCLUDE_DIRS})
      set(hint_lib ${H5KIT_PC_${name}_LIBRARY_DIRS})
    endif()
  endif()
  find_path(H5KIT_${name}_INCLUDE_DIR ${header} HINTS ${hint_inc})
  find_library(H5KIT_${name}_LIBRARY NAMES ${libnames} HINTS ${hint_lib})
  if(NOT H5KIT_${name}_INCLUDE_DIR OR NOT H5KIT_${name}_LIBRARY)
    message(FATAL_ERROR "h5kit: codec library ${name} not found (header ${header}, library ${lname}). "
                        "On Debian/Ubuntu run: bash scripts/deps.sh")
  endif()
  message(STATUS "h5kit codec ${name}: ${H5KIT_${name}_LIBRARY}")
  set(H5KIT_CODEC_LIBS ${H5KIT_CODEC_LIBS} ${H5KIT_${name}_LIBRARY} PARENT_SCOPE)
  set(H5KIT_CODEC_INCLUDE_DIRS ${H5KIT_CODEC_INCLUDE_DIRS} ${H5KIT_${name}_INCLUDE_DIR} PARENT_SCOPE)
  set(H5KIT_PC_LIBS_PRIVATE "${H5KIT_PC_LIBS_PRIVATE} -l${lname}" PARENT_SCOPE)
  set(H5KIT_CODEC_LNAMES ${H5KIT_CODEC_LNAMES} ${lname} PARENT_SCOPE)
endfunction()

set(H5KIT_CODEC_LNAMES "")
h5kit_codec(libdeflate libdeflate.h libdeflate deflate)
h5kit_codec(lz4 lz4.h liblz4 lz4)
h5kit_codec(zstd zstd.h libzstd zstd)
h5kit_codec(blosc blosc.h blosc blosc)
h5kit_codec(lzf lzf.h liblzf lzf)
h5kit_codec(szip szlib.h "" sz)

find_library(H5KIT_M_LIBRARY m)
if(H5KIT_M_LIBRARY)
  list(APPEND H5KIT_CODEC_LIBS ${H5KIT_M_LIBRARY})
  list(APPEND H5KIT_CODEC_LNAMES m)
  string(APPEND H5KIT_PC_LIBS_PRIVATE " -lm")
endif()
list(REMOVE_DUPLICATES H5KIT_CODEC_INCLUDE_DIRS)
string(STRIP "${H5KIT_PC_LIBS_PRIVATE}" H5KIT_PC_LIBS_PRIVATE)

# Headers for the filter sources. System include dirs are harmless; liblzf's header lives in
# its own directory (/usr/include/liblzf).
target_include_directories(h5kit_obj PRIVATE ${H5KIT_CODEC_INCLUDE_DIRS})

# The shared library links the codecs privately; the static library passes them on to whoever
# links it: full paths inside this build tree, plain -l names once installed (the exported
# target then needs no find_dependency: the codecs are found on the linker's default path).
target_link_libraries(h5kit_shared PRIVATE ${H5KIT_CODEC_LIBS})
foreach(lib ${H5KIT_CODEC_LIBS})
  target_link_libraries(h5kit_static INTERFACE $<BUILD_INTERFACE:${lib}>)
endforeach()
foreach(lname ${H5KIT_CODEC_LNAMES})
  target_link_libraries(h5kit_static INTERFACE $<INSTALL_INTERFACE:${lname}>)
endforeach()
