# Sourced by make_payload.sh, windows/make_setup.sh and windows/make_msi.sh:
# copies the programs a package carries into one folder, each without its
# symbol tables (never loaded: the programs' memory does not change, the
# package shrinks by two thirds); a .json goes in as it is (the health
# report's schema). SOURCE_DATE_EPOCH (0 unless set) makes the stripped
# Windows programs reproducible: strip writes it as their PE time stamp
# instead of the current time, so vigil-setup.exe's payload and the MSIs
# carry the same bytes.
# stage_programs DIR STRIP PROGRAM...
stage_programs() {
  local dir=$1 strip=$2 program
  shift 2
  mkdir -p "$dir"
  for program in "$@"; do
    cp "$program" "$dir/"
    case "$program" in
      *.json) ;;
      *) SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0} "$strip" --strip-unneeded "$dir/$(basename "$program")" ;;
    esac
  done
}
