//! One contract suite run against every `FileSystem` implementation (real, in-memory and
//! fault-injecting with no faults planned): they must agree on everything the engine relies on.
//! Crash and fault behaviour is unit-tested next to `FaultFileSystem` itself.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrodyn_storage::fs::{FaultFileSystem, FileSystem, MemFileSystem, RealFileSystem};

/// Runs `check` on each implementation with a fresh, existing directory.
fn each_file_system(check: impl Fn(&dyn FileSystem, &Path)) {
    let tmp = tempfile::tempdir().unwrap();
    let real_dir = tmp.path().join("db");
    let mapped_dir = tmp.path().join("mapped");
    let cases: Vec<(&str, Box<dyn FileSystem>, PathBuf)> = vec![
        ("real", Box::new(RealFileSystem::new()), real_dir),
        (
            "real, mapped",
            Box::new(RealFileSystem::mapped()),
            mapped_dir,
        ),
        ("mem", Box::new(MemFileSystem::new()), PathBuf::from("/db")),
        (
            "fault",
            Box::new(FaultFileSystem::new(1)),
            PathBuf::from("/db"),
        ),
    ];
    for (name, fs, dir) in cases {
        println!("{name}");
        fs.create_dir_all(&dir).unwrap();
        check(fs.as_ref(), &dir);
    }
}

fn read_all(fs: &dyn FileSystem, path: &Path) -> Vec<u8> {
    let file = fs.open(path).unwrap();
    let mut buf = vec![0u8; file.len() as usize];
    file.read_exact_at(0, &mut buf).unwrap();
    buf
}

#[test]
fn written_bytes_read_back_at_any_offset() {
    each_file_system(|fs, dir| {
        let path = dir.join("000001.sst");
        let mut w = fs.create(&path).unwrap();
        assert!(w.is_empty());
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for chunk in data.chunks(777) {
            w.append(chunk).unwrap();
        }
        assert_eq!(w.len(), data.len() as u64);
        w.sync().unwrap();
        let r = fs.open(&path).unwrap();
        assert_eq!(r.len(), data.len() as u64);
        for offset in [0usize, 1, 4095, 65_536, 199_990] {
            let mut buf = [0u8; 10];
            r.read_exact_at(offset as u64, &mut buf).unwrap();
            assert_eq!(&buf[..], &data[offset..offset + 10]);
        }
        let mut buf = [0u8; 11];
        let err = r.read_exact_at(199_990, &mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        let err = r.read_exact_at(u64::MAX, &mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        let mut empty = [0u8; 0];
        r.read_exact_at(data.len() as u64, &mut empty).unwrap();
    });
}

#[test]
fn flushed_bytes_are_readable_and_appends_continue() {
    each_file_system(|fs, dir| {
        let path = dir.join("000002.log");
        let mut w = fs.create(&path).unwrap();
        w.append(b"one").unwrap();
        w.flush().unwrap();
        assert_eq!(read_all(fs, &path), b"one");
        w.append(b"two").unwrap();
        w.sync().unwrap();
        drop(w);
        let mut w = fs.open_append(&path).unwrap();
        assert_eq!(w.len(), 6);
        w.append(b"three").unwrap();
        w.flush().unwrap();
        assert_eq!(read_all(fs, &path), b"onetwothree");
        // `create` truncates.
        let w = fs.create(&path).unwrap();
        drop(w);
        assert_eq!(read_all(fs, &path), b"");
    });
}

#[test]
fn a_reader_sees_the_length_at_open() {
    each_file_system(|fs, dir| {
        let path = dir.join("f");
        let mut w = fs.create(&path).unwrap();
        w.append(b"abc").unwrap();
        w.flush().unwrap();
        let r = fs.open(&path).unwrap();
        w.append(b"def").unwrap();
        w.flush().unwrap();
        assert_eq!(r.len(), 3);
        let mut buf = [0u8; 4];
        assert_eq!(
            r.read_exact_at(0, &mut buf).unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
    });
}

#[test]
fn missing_files_are_not_found() {
    each_file_system(|fs, dir| {
        let missing = dir.join("missing");
        assert_eq!(fs.open(&missing).unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(
            fs.open_append(&missing).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs.remove_file(&missing).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let to = dir.join("to");
        assert_eq!(
            fs.rename(&missing, &to).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs.create(&dir.join("no/such/dir")).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            fs.list_dir(&dir.join("nodir")).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert!(!fs.exists(&missing));
    });
}

#[test]
fn directory_entries_rename_remove_and_list() {
    each_file_system(|fs, dir| {
        for name in ["a", "b", "MANIFEST.tmp"] {
            let mut w = fs.create(&dir.join(name)).unwrap();
            w.append(name.as_bytes()).unwrap();
            w.sync().unwrap();
        }
        fs.rename(&dir.join("MANIFEST.tmp"), &dir.join("a"))
            .unwrap();
        fs.remove_file(&dir.join("b")).unwrap();
        fs.create_dir_all(&dir.join("sub")).unwrap();
        fs.create_dir_all(&dir.join("sub")).unwrap();
        fs.sync_dir(dir).unwrap();
        let mut names = fs.list_dir(dir).unwrap();
        names.sort();
        assert_eq!(names, ["a", "sub"]);
        assert_eq!(read_all(fs, &dir.join("a")), b"MANIFEST.tmp");
        assert!(fs.exists(&dir.join("a")));
        assert!(fs.exists(&dir.join("sub")));
        assert!(!fs.exists(&dir.join("b")));
        assert!(fs.list_dir(&dir.join("sub")).unwrap().is_empty());
    });
}

#[test]
fn open_files_survive_removal() {
    each_file_system(|fs, dir| {
        let path = dir.join("old.sst");
        let mut w = fs.create(&path).unwrap();
        w.append(b"still readable").unwrap();
        w.sync().unwrap();
        let r = fs.open(&path).unwrap();
        fs.remove_file(&path).unwrap();
        let mut buf = [0u8; 14];
        r.read_exact_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"still readable");
    });
}

#[test]
fn the_lock_is_exclusive_until_released() {
    each_file_system(|fs, dir| {
        let path = dir.join("LOCK");
        let guard = fs.lock(&path).unwrap();
        assert_eq!(fs.lock(&path).unwrap_err().kind(), ErrorKind::WouldBlock);
        assert!(fs.exists(&path));
        drop(guard);
        let _again = fs.lock(&path).unwrap();
    });
}

#[test]
fn many_threads_read_one_file() {
    each_file_system(|fs, dir| {
        let path = dir.join("shared");
        let mut w = fs.create(&path).unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 256) as u8).collect();
        w.append(&data).unwrap();
        w.sync().unwrap();
        let r = fs.open(&path).unwrap();
        let data = Arc::new(data);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (r, data) = (Arc::clone(&r), Arc::clone(&data));
                s.spawn(move || {
                    for i in 0..2000u64 {
                        let offset = (i * 997 + t * 31) % 99_000;
                        let mut buf = [0u8; 100];
                        r.read_exact_at(offset, &mut buf).unwrap();
                        assert_eq!(&buf[..], &data[offset as usize..offset as usize + 100]);
                    }
                });
            }
        });
    });
}
