# Hardening flags for everything built here (the library, the CLI, tests and benchmarks), on by
# default (SEALKIT_HARDENING=OFF leaves them to the toolchain):
#   -fstack-protector-strong        stack canaries in every function with an array or address taken
#   -D_FORTIFY_SOURCE=2             checked memcpy/snprintf/...; optimised builds only (glibc needs -O;
#                                   Debug builds are -O0) and not with sanitizers (they replace it)
#   -Wl,-z,relro,-z,now             full RELRO: the GOT is read-only after start-up (BIND_NOW)
#   -Wl,-z,noexecstack              a non-executable stack even if an object forgets to say so
#   PIE executables                 CMAKE_POSITION_INDEPENDENT_CODE + CMP0083 + check_pie_supported
# Each flag is used only if the toolchain accepts it. tests/cli/test_hardening.sh checks the result
# with readelf.
include(CheckCCompilerFlag)
include(CheckCSourceCompiles)
include(CheckPIESupported)

option(SEALKIT_HARDENING "Build with stack protector, FORTIFY_SOURCE, full RELRO, PIE, no exec stack" ON)

if(SEALKIT_HARDENING)
  # With policy CMP0083 NEW (cmake_minimum_required 3.14+), executables of targets with
  # POSITION_INDEPENDENT_CODE link with -pie, once this check has found that the linker can.
  check_pie_supported(OUTPUT_VARIABLE sk_pie_output LANGUAGES C)
  if(NOT CMAKE_C_LINK_PIE_SUPPORTED)
    message(WARNING "sealkit: the linker cannot make position-independent executables: ${sk_pie_output}")
  endif()

  check_c_compiler_flag(-fstack-protector-strong SK_HAVE_STACK_PROTECTOR_STRONG)
  if(SK_HAVE_STACK_PROTECTOR_STRONG)
    add_compile_options(-fstack-protector-strong)
  endif()

  if(NOT SEALKIT_SANITIZE)
    # -U first: some compilers (Ubuntu's, Fedora's) predefine another level, and a redefinition
    # warns. Only in optimised configurations: glibc warns (an error with -Werror) at -O0.
    set(sk_optimised "$<OR:$<CONFIG:Release>,$<CONFIG:RelWithDebInfo>,$<CONFIG:MinSizeRel>>")
    add_compile_options("$<${sk_optimised}:-U_FORTIFY_SOURCE>" "$<${sk_optimised}:-D_FORTIFY_SOURCE=2>")
  endif()

  foreach(flag -Wl,-z,relro,-z,now -Wl,-z,noexecstack)
    string(MAKE_C_IDENTIFIER "SK_HAVE_LD${flag}" var)
    set(CMAKE_REQUIRED_LINK_OPTIONS ${flag})
    check_c_source_compiles("int main(void) { return 0; }" ${var})
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(${var})
      add_link_options(${flag})
    endif()
  endforeach()
endif()
