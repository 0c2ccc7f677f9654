//! The TD3 corpus shared by the `parse` bench and the `td3_throughput` example.

use kycd_mrz::{MrzFields, MrzFormat, Sex, render};

/// A fixed set of distinct valid TD3 pairs (generated with the renderer).
pub fn corpus() -> Vec<[String; 2]> {
    let surnames = [
        "ERIKSSON",
        "MUSTERMANN",
        "KOWALSKA KWIATKOWSKA",
        "LIN",
        "VIRTANEN",
        "O NEILL",
    ];
    let given = [
        "ANNA MARIA",
        "ERIKA",
        "JOANNA",
        "MEI HUA",
        "",
        "JOHN PAUL GEORGE",
    ];
    let states = ["UTO", "DEU", "POL", "TWN", "FIN", "IRL", "D<<", "GBR"];
    let mut out = Vec::new();
    for i in 0..256u32 {
        let mut f = MrzFields::empty(MrzFormat::Td3);
        f.document_code = if i % 5 == 0 { "PD".into() } else { "P".into() };
        f.issuing_state = states[i as usize % states.len()].into();
        f.nationality = states[(i as usize / 3) % states.len()].into();
        f.surname = surnames[i as usize % surnames.len()].into();
        f.given_names = given[(i as usize / 2) % given.len()].into();
        f.document_number = format!("C{:08}", i * 7919 % 100_000_000);
        f.birth_date = format!("{:02}{:02}{:02}", (i * 7) % 100, i % 12 + 1, i % 28 + 1).into();
        f.sex = [Sex::Male, Sex::Female, Sex::NotGiven][i as usize % 3];
        f.expiry_date = format!(
            "{:02}{:02}{:02}",
            (i * 3) % 40,
            (i + 5) % 12 + 1,
            (i + 9) % 28 + 1
        )
        .into();
        f.optional_data = if i % 2 == 0 {
            format!("ZE{:07}B", i * 31)
        } else {
            String::new()
        };
        let lines = render(&f).expect("renderable");
        out.push([lines[0].clone(), lines[1].clone()]);
    }
    out
}
