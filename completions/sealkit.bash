# bash completion for sealkit                                      -*- shell-script -*-
# Installed as share/bash-completion/completions/sealkit; also works when sourced directly
# (it needs nothing from the bash-completion package).

_sealkit_commands="seal unseal reseal verify cert keygen keys create rotate package"

# Sets COMPREPLY to compgen's words, one a line (file names may hold spaces).
_sealkit_reply()
{
    mapfile -t COMPREPLY < <(compgen "$@")
}

# The flags of a command (and of its subcommand: "keys list", "package verify").
_sealkit_flags()
{
    case $1 in
    seal) echo "--cert --scope -o --format -f --secret-file -w --sealed-secret-file --merge-into
                --allow-empty-data -n --namespace --name --raw --from-file --controller-name
                --controller-namespace -h --help" ;;
    unseal) echo "--key --recovery-private-key --recovery-unseal -f --secret-file -o --format
                  -w --output --sealed-secret-file --raw --force --scope -n --namespace --name
                  -h --help" ;;
    reseal) echo "--cert --key --recovery-private-key --check --dry-run -j --jobs --format --exclude
                  --shard -h --help" ;;
    verify) echo "--cert --key --policy --warn-days --fail-on -j --jobs --diagnose-budget --diagnose-file-budget -o --format -h --help" ;;
    cert) echo "--cert --warn-days -o --format --pem --newest -h --help" ;;
    keygen) echo "--bits --cn --valid-for --not-before -n --namespace -o --format -w --output
                  --cert-out --key-out -h --help" ;;
    keys) echo "-h --help" ;;
    keys/list) echo "--key -o --format --newest -h --help" ;;
    create) echo "-h --help" ;;
    create/*) echo "-n --namespace --from-literal --from-file --from-env-file --type --seal --cert
                    --scope -o --format -w --output --docker-server --docker-username
                    --docker-password --docker-password-stdin --docker-email -h --help" ;;
    rotate) echo "--keys --max-age --bits --cn --valid-for --namespace --init -j --jobs --format -q
                  --quiet --exclude --step --shard --now -h --help" ;;
    package) echo "-n --namespace --set --overlay --date --kustomization -o --output-dir --output
                   --force --env -C --directory --format -h --help" ;;
    package/verify) echo "--cert --key --recovery-private-key --policy --fail-on -o --format -h --help" ;;
    package/install) echo "-C --directory --cert --key --force -h --help" ;;
    package/diff) echo "--key -o --format -h --help" ;;
    esac
}

# Completes the value of flag $1 of command $2 into COMPREPLY; returns 1 when $1 takes none.
_sealkit_value()
{
    local flag=$1 cmd=$2 cur=$3
    case $flag in
    --cert | --key | --recovery-private-key | -f | --secret-file | -w | --sealed-secret-file | \
        --output | --merge-into | --from-file | --from-env-file | --policy | --kustomization | \
        --cert-out | --key-out)
        compopt -o filenames 2>/dev/null
        _sealkit_reply -f -- "$cur" ;;
    --keys | --output-dir | -C | --directory)
        compopt -o filenames 2>/dev/null
        _sealkit_reply -d -- "$cur" ;;
    --scope) _sealkit_reply -W "strict namespace-wide cluster-wide" -- "$cur" ;;
    --bits) _sealkit_reply -W "2048 3072 4096" -- "$cur" ;;
    --fail-on) _sealkit_reply -W "error warning info" -- "$cur" ;;
    -o | --format)
        case $cmd in
        package) # -o DIR: the deprecated spelling of --output-dir
            compopt -o filenames 2>/dev/null
            _sealkit_reply -d -- "$cur" ;;
        package/diff) _sealkit_reply -W "text json" -- "$cur" ;;
        verify) _sealkit_reply -W "text json sarif" -- "$cur" ;;
        reseal | cert | keys/list | rotate) _sealkit_reply -W "text json" -- "$cur" ;;
        *) _sealkit_reply -W "json yaml" -- "$cur" ;;
        esac ;;
    -n | --namespace | --name | --from-literal | --type | --docker-server | --docker-username | \
        --docker-password | --docker-email | -j | --jobs | --warn-days | --cn | --valid-for | \
        --not-before | --max-age | --now | --set | --overlay | --date | --controller-name | \
        --controller-namespace | --env | --diagnose-budget | --diagnose-file-budget)
        COMPREPLY=() ;;
    *) return 1 ;;
    esac
    return 0
}

_sealkit()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # "--cert=FILE": bash splits the word at '=' (COMP_WORDBREAKS).
    if [[ $cur == "=" ]]; then
        cur="" && prev=${COMP_WORDS[COMP_CWORD - 1]}
    elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi

    # The command is the first word that is neither a flag nor a flag's value.
    local cmd="" sub="" i word
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        [[ $word == -* || $word == "=" ]] && continue
        if [[ -z $cmd ]]; then
            cmd=$word
        elif [[ -z $sub && ${COMP_WORDS[i - 1]} == "$cmd" && \
            "$cmd/$word" =~ ^(keys/list|create/generic|create/docker-registry|package/(verify|install|diff))$ ]]; then
            sub=$word
        fi
    done
    local key=$cmd
    [[ -n $sub ]] && key=$cmd/$sub

    COMPREPLY=()
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            _sealkit_reply -W "-h --help --version" -- "$cur"
        else
            _sealkit_reply -W "$_sealkit_commands" -- "$cur"
        fi
        return 0
    fi
    [[ $prev == -* ]] && _sealkit_value "$prev" "$key" "$cur" && return 0
    if [[ $cur == -* ]]; then
        _sealkit_reply -W "$(_sealkit_flags "$key")" -- "$cur"
        return 0
    fi
    case $key in
    keys) _sealkit_reply -W "list" -- "$cur" ;;
    create) _sealkit_reply -W "generic docker-registry" -- "$cur" ;;
    create/*) ;; # NAME
    package)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -W "verify install diff" -- "$cur"; compgen -f -- "$cur") ;;
    *)
        compopt -o filenames 2>/dev/null
        _sealkit_reply -f -- "$cur" ;;
    esac
    return 0
}

complete -F _sealkit sealkit
