# Install rules: the CLI, the shared (with SONAME) and static libraries, the
# headers, sealkit.pc, the CMake package (find_package(sealkit) gives
# sealkit::sealkit and sealkit::sealkit_static), man pages and completions.
include(CMakePackageConfigHelpers)

set(SEALKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sealkit)
set_target_properties(sealkit PROPERTIES EXPORT_NAME sealkit)
set_target_properties(sealkit_static PROPERTIES EXPORT_NAME sealkit_static)

install(TARGETS sealkit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS sealkit sealkit_static EXPORT sealkitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sealkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT sealkitTargets NAMESPACE sealkit:: DESTINATION ${SEALKIT_CMAKE_DIR})

# The package config finds the pkg-config dependencies again, under names of its own.
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sealkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sealkitConfig.cmake INSTALL_DESTINATION ${SEALKIT_CMAKE_DIR})
# 0.x releases share the SONAME libsealkit.so.0, so any 0.y satisfies a 0.x request with y >= x.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sealkitConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sealkitConfig.cmake ${PROJECT_BINARY_DIR}/sealkitConfigVersion.cmake
        DESTINATION ${SEALKIT_CMAKE_DIR})

# sealkit.pc is relocatable (prefix from ${pcfiledir}), so `cmake --install --prefix` works.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SEALKIT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SEALKIT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH rel "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(SEALKIT_PC_PREFIX "\${pcfiledir}/${rel}")
  set(SEALKIT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SEALKIT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SEALKIT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(kind PUBLIC PRIVATE)
  string(REPLACE ";" ", " list "${SEALKIT_${kind}_DEPS}")
  string(REPLACE ">=" " >= " SEALKIT_PC_${kind} "${list}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/sealkit.pc.in ${PROJECT_BINARY_DIR}/sealkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sealkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

file(GLOB SEALKIT_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.1)
install(FILES ${SEALKIT_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
file(GLOB SEALKIT_MAN5_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.5)
install(FILES ${SEALKIT_MAN5_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/completions/sealkit.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sealkit)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_sealkit
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
